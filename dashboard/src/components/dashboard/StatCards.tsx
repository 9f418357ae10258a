import { Badge, Card, Group, SimpleGrid, Skeleton, Text, UnstyledButton } from '@mantine/core';
import type { ReactNode } from 'react';
import { useSummary, type StatsQuery } from '../../api/hooks';
import type { SummaryValues } from '../../api/types';
import { formatDuration, formatNumber, formatPercent, percentChange, type Change } from '../../lib/format';
import type { ChartMetric } from '../../lib/useDashboardParams';
import { QueryView } from '../QueryState';

/** The top stats of the period, in Plausible's order; clicking one charts it. */
export const TOP_STATS: ReadonlyArray<{
  key: ChartMetric;
  label: string;
  format: (n: number) => string;
  /** True when lower is better (bounce rate). */
  invert?: boolean;
  help: string;
}> = [
  { key: 'visitors', label: 'Visitors', format: formatNumber, help: 'Distinct visitors' },
  { key: 'sessions', label: 'Visits', format: formatNumber, help: 'Sessions' },
  { key: 'pageviews', label: 'Page views', format: formatNumber, help: 'PAGE_VIEW events' },
  {
    key: 'viewsPerSession',
    label: 'Views per visit',
    format: (n) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1).replace(/\.?0+$/, '') : '–'),
    help: 'Page views ÷ visits',
  },
  {
    key: 'bounceRate',
    label: 'Bounce rate',
    format: formatPercent,
    invert: true,
    help: 'Visits with a single page view and nothing else',
  },
  {
    key: 'avgSessionDuration',
    label: 'Visit duration',
    format: formatDuration,
    help: 'Average time from the first to the last event of a visit',
  },
  { key: 'events', label: 'Events', format: formatNumber, help: 'All events, page views included' },
];

export const METRIC_LABELS = Object.fromEntries(TOP_STATS.map((s) => [s.key, s.label])) as Record<ChartMetric, string>;

/** How a metric's value reads ("1,234", "42%", "3m 5s"). */
export const METRIC_FORMAT = Object.fromEntries(TOP_STATS.map((s) => [s.key, s.format])) as Record<
  ChartMetric,
  (n: number) => string
>;

/** Metrics that add up over the points of a period (the others are averages or distinct counts). */
export const ADDITIVE: ReadonlySet<ChartMetric> = new Set(['pageviews', 'events']);

function ChangeBadge({ change, invert }: { change: Change; invert?: boolean }) {
  const flat = change.direction === 'flat';
  const good = !flat && (change.direction === 'up') !== Boolean(invert);
  const color = flat ? 'gray' : good ? 'teal' : 'red';
  const title =
    change.percent === null
      ? 'No figure for the previous period to compare with'
      : 'Change against the previous period';
  return (
    <Badge color={color} variant="light" size="sm" tt="none" title={title} data-testid="change">
      {change.text}
    </Badge>
  );
}

interface StatProps {
  label: string;
  value: string;
  raw: number;
  change: Change;
  invert?: boolean;
  testId: string;
  help: string;
  /** The card whose metric the chart shows. */
  selected: boolean;
  onSelect: () => void;
}

// The value's title (the exact number) is the first [title] of a card: tests read it.
function StatBody({ label, value, raw, change, invert }: StatProps) {
  return (
    <>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} component="span" display="block">
        {label}
      </Text>
      {/* A narrow card (seven in a row) puts the badge under the value, never splits "4m 59s". */}
      <Group gap="xs" align="baseline" mt={4} style={{ rowGap: 2 }}>
        <Text
          fz={24}
          fw={700}
          title={String(raw)}
          component="span"
          data-testid="value"
          style={{ whiteSpace: 'nowrap' }}
        >
          {value}
        </Text>
        <ChangeBadge change={change} invert={invert} />
      </Group>
    </>
  );
}

function Stat(props: StatProps) {
  const { testId, selected, onSelect } = props;
  return (
    <Card
      withBorder
      padding={0}
      data-testid={testId}
      data-selected={selected ? 'true' : undefined}
      style={{
        borderColor: selected ? 'var(--mantine-primary-color-filled)' : undefined,
        boxShadow: selected ? 'inset 0 3px 0 var(--mantine-primary-color-filled)' : undefined,
      }}
    >
      <UnstyledButton onClick={onSelect} aria-pressed={selected} p="sm" w="100%" h="100%" style={{ display: 'block' }}>
        <StatBody {...props} />
      </UnstyledButton>
    </Card>
  );
}

/** A previous period without a single event has nothing to compare with (not even "0%"). */
function hasPrevious(previous: SummaryValues | null | undefined): previous is SummaryValues {
  return Boolean(previous && (previous.events > 0 || previous.sessions > 0 || previous.pageviews > 0));
}

function CardsSkeleton({ count }: { count: number }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 4, lg: count }} data-testid="loading">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} height={78} radius="md" />
      ))}
    </SimpleGrid>
  );
}

/** One row of cards for the period, each with its change against the previous period. */
export function TopStats({
  query,
  metric,
  onMetric,
  extra,
}: {
  query: StatsQuery;
  metric: ChartMetric;
  onMetric: (metric: ChartMetric) => void;
  extra?: ReactNode;
}) {
  const summary = useSummary(query);
  return (
    <section aria-label="Top stats">
      <QueryView query={summary} loading={<CardsSkeleton count={TOP_STATS.length} />} errorTitle="Summary">
        {(data) => (
          <SimpleGrid cols={{ base: 2, sm: 4, lg: TOP_STATS.length }} spacing="sm" data-testid="summary-cards">
            {TOP_STATS.map(({ key, label, format, invert, help }) => (
              <Stat
                key={key}
                label={label}
                value={format(data[key])}
                raw={data[key]}
                change={
                  hasPrevious(data.previous)
                    ? percentChange(data[key], data.previous[key])
                    : { percent: null, direction: 'flat', text: '—' }
                }
                invert={invert}
                help={help}
                testId={`summary-${key}`}
                selected={key === metric}
                onSelect={() => onMetric(key)}
              />
            ))}
          </SimpleGrid>
        )}
      </QueryView>
      {extra}
    </section>
  );
}
