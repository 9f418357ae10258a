import { Badge, Card, Group, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useOverview, useSummary, type StatsQuery } from '../../api/hooks';
import type { SummaryValues } from '../../api/types';
import type { Filter } from '../../lib/filters';
import { formatDuration, formatNumber, formatPercent, percentChange } from '../../lib/format';
import { ErrorState } from '../QueryState';

interface StatProps {
  label: string;
  value: string;
  title?: string;
  change?: { text: string; direction: 'up' | 'down' | 'flat' };
  /** True when lower is better (bounce rate). */
  invert?: boolean;
  testId?: string;
}

function Stat({ label, value, title, change, invert, testId }: StatProps) {
  const good = change && change.direction !== 'flat' && (change.direction === 'up') !== Boolean(invert);
  const color = !change || change.direction === 'flat' ? 'gray' : good ? 'teal' : 'red';
  return (
    <Card withBorder padding="md" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Group gap="xs" align="baseline" mt={4} wrap="nowrap">
        <Text fz={26} fw={700} title={title}>
          {value}
        </Text>
        {change && (
          <Badge color={color} variant="light" size="sm" tt="none" title="Change against the previous period">
            {change.text}
          </Badge>
        )}
      </Group>
    </Card>
  );
}

function CardsSkeleton({ count }: { count: number }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: count }} data-testid="loading">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} height={86} radius="md" />
      ))}
    </SimpleGrid>
  );
}

const SUMMARY: Array<{ key: keyof SummaryValues; label: string; format: (n: number) => string; invert?: boolean }> = [
  { key: 'visitors', label: 'Visitors', format: formatNumber },
  { key: 'sessions', label: 'Sessions', format: formatNumber },
  { key: 'pageviews', label: 'Page views', format: formatNumber },
  { key: 'bounceRate', label: 'Bounce rate', format: formatPercent, invert: true },
  { key: 'avgSessionDuration', label: 'Visit duration', format: formatDuration },
];

export function SummaryCards({ query }: { query: StatsQuery }) {
  const summary = useSummary(query);
  if (summary.isPending) return <CardsSkeleton count={5} />;
  if (summary.isError)
    return <ErrorState title="Summary" error={summary.error} onRetry={() => void summary.refetch()} />;
  const data = summary.data;
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: 5 }} data-testid="summary-cards">
      {SUMMARY.map(({ key, label, format, invert }) => (
        <Stat
          key={key}
          label={label}
          value={format(data[key])}
          title={String(data[key])}
          change={percentChange(data[key], data.previous?.[key])}
          invert={invert}
          testId={`summary-${key}`}
        />
      ))}
    </SimpleGrid>
  );
}

export function OverviewCards({ filters }: { filters: Filter[] }) {
  const overview = useOverview(filters);
  if (overview.isPending) return <CardsSkeleton count={4} />;
  if (overview.isError)
    return <ErrorState title="Overview" error={overview.error} onRetry={() => void overview.refetch()} />;
  const { eventsRecorded, activeUsers } = overview.data;
  const cards = [
    { label: 'Events today', value: eventsRecorded.today },
    { label: 'Events this month', value: eventsRecorded.thisMonth },
    { label: 'Active users today', value: activeUsers.today },
    { label: 'Active users this month', value: activeUsers.thisMonth },
  ];
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }} data-testid="overview-cards">
      {cards.map((c) => (
        <Stat key={c.label} label={c.label} value={formatNumber(c.value)} title={String(c.value)} />
      ))}
    </SimpleGrid>
  );
}
