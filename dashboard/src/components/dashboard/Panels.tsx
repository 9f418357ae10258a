import { Card, Group, Tabs, Text } from '@mantine/core';
import { useState } from 'react';
import { useBreakdown, useEventsTable, usePages, type StatsQuery } from '../../api/hooks';
import type { BreakdownDimension } from '../../api/types';
import { dimensionLabel, type Filter } from '../../lib/filters';
import { QueryView } from '../QueryState';
import { TopTable } from './TopTable';

type OnFilter = (filter: Filter) => void;

function PanelCard({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="md" data-testid={testId}>
      <Group justify="space-between" mb="xs">
        <Text fw={600} component="h3" m={0}>
          {title}
        </Text>
      </Group>
      {children}
    </Card>
  );
}

const NONE_LABELS: Partial<Record<BreakdownDimension, string>> = {
  referrerDomain: 'Direct / none',
  referrer: 'Direct / none',
};

/**
 * The filter a click on a row applies. The API filters events, so entry and exit pages filter by
 * that page; full referrer URLs are not indexed (filter by referrer domain instead).
 */
const FILTER_AS: Partial<Record<BreakdownDimension, string | null>> = {
  entryPage: 'page',
  exitPage: 'page',
  referrer: null,
};

function Breakdown({
  dimension,
  query,
  onFilter,
}: {
  dimension: BreakdownDimension;
  query: StatsQuery;
  onFilter: OnFilter;
}) {
  const rows = useBreakdown(dimension, query);
  return (
    <QueryView query={rows} isEmpty={(d) => d.length === 0}>
      {(data) => (
        <TopTable
          testId={`breakdown-${dimension}`}
          name={dimensionLabel(dimension)}
          countLabel="Count"
          secondaryLabel="Visitors"
          rows={data.map((r) => ({
            label: r.value === null || r.value === '' ? (NONE_LABELS[dimension] ?? '(none)') : r.value,
            value: r.value,
            count: r.count,
            secondary: r.visitors,
          }))}
          onSelect={filterFor(dimension, onFilter)}
        />
      )}
    </QueryView>
  );
}

function filterFor(dimension: BreakdownDimension, onFilter: OnFilter): ((value: string) => void) | undefined {
  const target = dimension in FILTER_AS ? FILTER_AS[dimension] : dimension;
  if (target === null || target === undefined) return undefined;
  return (value) => onFilter({ dimension: target, value });
}

export interface BreakdownTab {
  dimension: BreakdownDimension;
  label: string;
}

/** One card with a tab per dimension; only the visible tab is fetched. */
export function BreakdownPanel({
  title,
  tabs,
  query,
  onFilter,
}: {
  title: string;
  tabs: BreakdownTab[];
  query: StatsQuery;
  onFilter: OnFilter;
}) {
  const [active, setActive] = useState<string>(tabs[0]!.dimension);
  const current = tabs.find((t) => t.dimension === active) ?? tabs[0]!;
  if (tabs.length === 1) {
    return (
      <PanelCard title={title} testId={`panel-${current.dimension}`}>
        <Breakdown dimension={current.dimension} query={query} onFilter={onFilter} />
      </PanelCard>
    );
  }
  return (
    <PanelCard title={title} testId={`panel-${tabs[0]!.dimension}`}>
      <Tabs value={active} onChange={(v) => v && setActive(v)} keepMounted={false}>
        <Tabs.List aria-label={`${title} breakdown`}>
          {tabs.map((t) => (
            <Tabs.Tab key={t.dimension} value={t.dimension}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value={current.dimension} pt="xs">
          <Breakdown dimension={current.dimension} query={query} onFilter={onFilter} />
        </Tabs.Panel>
      </Tabs>
    </PanelCard>
  );
}

export function EventsPanel({ query, onFilter }: { query: StatsQuery; onFilter: OnFilter }) {
  const events = useEventsTable(query);
  return (
    <PanelCard title="Events" testId="panel-events">
      <QueryView query={events} isEmpty={(d) => d.length === 0}>
        {(data) => (
          <TopTable
            testId="events-table"
            name="Event"
            countLabel="Count"
            secondaryLabel="Users"
            rows={data.map((r) => ({ label: r.eventName, value: r.eventName, count: r.count, secondary: r.users }))}
            onSelect={(value) => onFilter({ dimension: 'eventName', value })}
          />
        )}
      </QueryView>
    </PanelCard>
  );
}

export function PagesPanel({ query, onFilter }: { query: StatsQuery; onFilter: OnFilter }) {
  const pages = usePages(query);
  return (
    <PanelCard title="Page Visits" testId="panel-pages">
      <QueryView query={pages} isEmpty={(d) => d.length === 0}>
        {(data) => (
          <TopTable
            testId="pages-table"
            name="Page"
            countLabel="Views"
            secondaryLabel="Users"
            rows={data.map((r) => ({ label: r.page, value: r.page, count: r.count, secondary: r.users }))}
            onSelect={(value) => onFilter({ dimension: 'page', value })}
          />
        )}
      </QueryView>
    </PanelCard>
  );
}
