import { Box, Card, Group, Tabs, Title } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import { useBreakdown, useEventsTable, usePages, type StatsQuery } from '../../api/hooks';
import type { BreakdownDimension, SummaryValues } from '../../api/types';
import { countryCode, countryFlag, countryName } from '../../lib/countries';
import { dimensionLabel, type Filter } from '../../lib/filters';
import { formatNumber } from '../../lib/format';
import { QueryView } from '../QueryState';
import { TopTable, type ShareBase } from './TopTable';

type OnFilter = (filter: Filter) => void;

/** The Countries panel's map (and its geometry) loads after the dashboard's first paint. */
const WorldMap = lazy(() => import('./WorldMap'));

/** The period's totals (the summary), which the share columns divide by; undefined while unknown. */
export type Totals = SummaryValues | undefined;

type Counted = 'pageviews' | 'events' | 'sessions';

/** What a table's counts count (API.md, "Breakdown counts"), and the column that says it. */
const COUNTED: Record<Counted, { label: string; unit: string }> = {
  pageviews: { label: 'Views', unit: 'page views' },
  events: { label: 'Events', unit: 'events' },
  sessions: { label: 'Visits', unit: 'visits' },
};

function countedBy(dimension: BreakdownDimension): Counted {
  if (dimension === 'page') return 'pageviews';
  if (dimension === 'eventName' || (dimension as string).startsWith('context.')) return 'events';
  return 'sessions';
}

function shareOf(totals: Totals, counted: Counted): ShareBase | null {
  if (!totals) return null;
  const total = totals[counted];
  return { total, description: `all ${formatNumber(total)} ${COUNTED[counted].unit} in the period` };
}

export function PanelCard({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="md" data-testid={testId} component="section" aria-label={title}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5" fw={600}>
          {title}
        </Title>
      </Group>
      {children}
    </Card>
  );
}

const NONE_LABELS: Partial<Record<BreakdownDimension, string>> = {
  referrerDomain: 'Direct / none',
  referrer: 'Direct / none',
};

function Breakdown({
  dimension,
  query,
  onFilter,
  totals,
}: {
  dimension: BreakdownDimension;
  query: StatsQuery;
  onFilter: OnFilter;
  totals: Totals;
}) {
  const rows = useBreakdown(dimension, query);
  const counted = countedBy(dimension);
  return (
    <QueryView query={rows} isEmpty={(d) => d.length === 0}>
      {(data) => (
        <>
          {dimension === 'country' && (
            // The fallback keeps the map's 2:1 space so the table does not jump when it arrives.
            <Suspense fallback={<Box mb="sm" style={{ aspectRatio: '2 / 1' }} data-testid="world-map-loading" />}>
              <WorldMap rows={data} onSelect={filterFor(dimension, onFilter)} />
            </Suspense>
          )}
          <TopTable
            testId={`breakdown-${dimension}`}
            name={dimensionLabel(dimension)}
            countLabel={COUNTED[counted].label}
            unit={COUNTED[counted].unit}
            shareOf={shareOf(totals, counted)}
            secondaryLabel="Visitors"
            rows={data.map((r) => ({
              ...rowLabel(dimension, r.value),
              value: r.value,
              count: r.count,
              secondary: r.visitors,
            }))}
            onSelect={filterFor(dimension, onFilter)}
          />
        </>
      )}
    </QueryView>
  );
}

/** A row's label (and flag and tooltip): countries by name, missing values as "(none)" or the like. */
export function rowLabel(
  dimension: BreakdownDimension,
  value: string | null,
): { label: string; icon?: string; title?: string } {
  if (dimension === 'country') {
    const code = countryCode(value);
    const name = countryName(value);
    if (!code)
      return { label: name, title: value ? `${name} (${value})` : `${name}: the address's country is not known` };
    return { label: name, icon: countryFlag(code), title: `${name} (${code})` };
  }
  return { label: value === null || value === '' ? (NONE_LABELS[dimension] ?? '(none)') : value };
}

/** A click on a row filters by it: the API keeps whole sessions for session-level dimensions. */
function filterFor(dimension: BreakdownDimension, onFilter: OnFilter): (value: string) => void {
  return (value) => onFilter({ dimension, value });
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
  totals,
}: {
  title: string;
  tabs: BreakdownTab[];
  query: StatsQuery;
  onFilter: OnFilter;
  totals: Totals;
}) {
  const [active, setActive] = useState<string>(tabs[0]!.dimension);
  const current = tabs.find((t) => t.dimension === active) ?? tabs[0]!;
  if (tabs.length === 1) {
    return (
      <PanelCard title={title} testId={`panel-${current.dimension}`}>
        <Breakdown dimension={current.dimension} query={query} onFilter={onFilter} totals={totals} />
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
          <Breakdown dimension={current.dimension} query={query} onFilter={onFilter} totals={totals} />
        </Tabs.Panel>
      </Tabs>
    </PanelCard>
  );
}

interface PanelProps {
  query: StatsQuery;
  onFilter: OnFilter;
  totals: Totals;
}

export function EventsPanel({ query, onFilter, totals }: PanelProps) {
  const events = useEventsTable(query);
  return (
    <PanelCard title="Events" testId="panel-events">
      <QueryView query={events} isEmpty={(d) => d.length === 0}>
        {(data) => (
          <TopTable
            testId="events-table"
            name="Event"
            countLabel="Events"
            unit="events"
            shareOf={shareOf(totals, 'events')}
            secondaryLabel="Users"
            rows={data.map((r) => ({ label: r.eventName, value: r.eventName, count: r.count, secondary: r.users }))}
            onSelect={(value) => onFilter({ dimension: 'eventName', value })}
          />
        )}
      </QueryView>
    </PanelCard>
  );
}

export function PagesPanel({ query, onFilter, totals }: PanelProps) {
  const pages = usePages(query);
  return (
    <PanelCard title="Page Visits" testId="panel-pages">
      <QueryView query={pages} isEmpty={(d) => d.length === 0}>
        {(data) => (
          <TopTable
            testId="pages-table"
            name="Page"
            countLabel="Views"
            unit="page views"
            shareOf={shareOf(totals, 'pageviews')}
            secondaryLabel="Users"
            rows={data.map((r) => ({ label: r.page, value: r.page, count: r.count, secondary: r.users }))}
            onSelect={(value) => onFilter({ dimension: 'page', value })}
          />
        )}
      </QueryView>
    </PanelCard>
  );
}
