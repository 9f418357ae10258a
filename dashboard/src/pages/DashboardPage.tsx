import { Group, Loader, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useIsFetching, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { useOverview, useSummary } from '../api/hooks';
import { Chart } from '../components/dashboard/Chart';
import { chipButton, FilterChips } from '../components/dashboard/FilterChips';
import { FIRST_EVENT_POLL_MS, FirstRun } from '../components/dashboard/FirstRun';
import { GoalsPanel } from '../components/dashboard/GoalsPanel';
import { BreakdownPanel, EventsPanel, PagesPanel, type BreakdownTab } from '../components/dashboard/Panels';
import { RangePicker } from '../components/dashboard/RangePicker';
import { RealtimeBadge } from '../components/dashboard/RealtimeBadge';
import { TopStats } from '../components/dashboard/StatCards';
import { RefusedEventsNotice } from '../components/RefusedEventsNotice';
import { rangeLabel } from '../lib/dateRange';
import type { Filter } from '../lib/filters';
import type { Interval } from '../lib/intervals';
import { keepFocus } from '../lib/focus';
import { useShortcuts } from '../lib/shortcuts';
import { useDocumentTitle } from '../lib/title';
import { type CompareMode, useDashboardParams } from '../lib/useDashboardParams';
import { useCurrentSite } from '../site/context';

const SOURCES: BreakdownTab[] = [
  { dimension: 'referrerDomain', label: 'Referrers' },
  { dimension: 'channel', label: 'Channels' },
  { dimension: 'utmSource', label: 'UTM source' },
  { dimension: 'utmMedium', label: 'UTM medium' },
  { dimension: 'utmCampaign', label: 'UTM campaign' },
];
const DEVICES: BreakdownTab[] = [
  { dimension: 'browser', label: 'Browser' },
  { dimension: 'os', label: 'OS' },
  { dimension: 'device', label: 'Device' },
];
const COUNTRIES: BreakdownTab[] = [{ dimension: 'country', label: 'Country' }];
const PAGES: BreakdownTab[] = [
  { dimension: 'entryPage', label: 'Entry pages' },
  { dimension: 'exitPage', label: 'Exit pages' },
];

/** Reports of the selected period (not the realtime badge, the notices or the first-run check). */
const PERIOD_REPORTS = new Set(['summary', 'timeseries', 'events', 'pages', 'breakdown', 'goals']);

/**
 * Whether the site has never counted an event (a new site): then the first-run view shows instead
 * of empty reports, and the overview is asked again every few seconds until the first one.
 */
function useFirstRun(): { waiting: boolean; pending: boolean } {
  const overview = useOverview([]);
  const client = useQueryClient();
  const { siteId } = useCurrentSite();
  const waiting = overview.data?.eventsRecorded.lifetime === 0;
  const { refetch } = overview;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void refetch(), FIRST_EVENT_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, refetch]);
  // The first event arrived: whatever was asked while waiting is out of date.
  const wasWaiting = useRef(false);
  useEffect(() => {
    if (waiting) wasWaiting.current = true;
    else if (wasWaiting.current) {
      wasWaiting.current = false;
      void client.invalidateQueries({ queryKey: ['stats', siteId] });
    }
  }, [waiting, client, siteId]);
  return { waiting, pending: overview.isPending };
}

export function DashboardPage() {
  useDocumentTitle('Dashboard');
  const params = useDashboardParams();
  const {
    range,
    filters,
    today,
    query,
    previousQuery,
    timezone,
    problem,
    canNext,
    canPrevious,
    metric,
    compare,
    interval,
    intervals,
    setRange,
    shift,
    setMetric,
    setCompare,
    setInterval,
  } = params;
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRun = useFirstRun();
  const showReports = !firstRun.waiting && !firstRun.pending && problem === null;
  const updating =
    useIsFetching({ predicate: (q) => q.queryKey[0] === 'stats' && PERIOD_REPORTS.has(String(q.queryKey[2])) }) > 0;

  useShortcuts((action) => {
    if (action.kind === 'preset') setRange({ kind: 'preset', preset: action.preset });
    else shift(action.step);
  }, !firstRun.waiting);

  const { addFilter } = params;
  // Focus stays on the activated row; if the row goes away, it moves to the filter's chip.
  const onFilter = useCallback(
    (filter: Filter) => {
      keepFocus(() => chipButton(filter));
      addFilter(filter);
    },
    [addFilter],
  );

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Stack gap={0}>
          <Title order={1} size="h2" ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
            Dashboard
          </Title>
          <Group gap={6} wrap="nowrap">
            <Text size="sm" c="dimmed" data-testid="range-label">
              {rangeLabel(range)} · {timezone}
            </Text>
            {updating && showReports && (
              <Loader size={12} role="status" aria-label="Updating the figures" data-testid="updating-range" />
            )}
          </Group>
        </Stack>
        {!firstRun.waiting && (
          <Group gap="sm" align="flex-end" wrap="wrap">
            <RealtimeBadge filters={filters} />
            <RangePicker
              range={range}
              today={today}
              onChange={setRange}
              onShift={shift}
              canNext={canNext}
              canPrevious={canPrevious}
            />
          </Group>
        )}
      </Group>

      <RefusedEventsNotice since="lastHour" />

      {firstRun.waiting ? (
        <FirstRun />
      ) : firstRun.pending ? (
        <Stack gap="md" data-testid="loading" aria-busy="true" aria-label="Loading">
          <Skeleton height={78} radius="md" />
          <Skeleton height={300} radius="md" />
        </Stack>
      ) : (
        <>
          <FilterChips
            filters={filters}
            onRemove={params.removeFilter}
            onClear={params.clearFilters}
            focusWhenEmpty={() => heading.current}
          />
          {showReports && (
            <Reports
              query={query}
              previousQuery={previousQuery}
              metric={metric}
              compare={compare}
              onMetric={setMetric}
              onCompare={setCompare}
              interval={interval}
              intervals={intervals}
              onInterval={setInterval}
              today={today}
              onFilter={onFilter}
            />
          )}
        </>
      )}
    </Stack>
  );
}

function Reports({
  query,
  previousQuery,
  metric,
  compare,
  onMetric,
  onCompare,
  interval,
  intervals,
  onInterval,
  today,
  onFilter,
}: {
  query: ReturnType<typeof useDashboardParams>['query'];
  previousQuery: ReturnType<typeof useDashboardParams>['query'];
  metric: ReturnType<typeof useDashboardParams>['metric'];
  compare: CompareMode | null;
  onMetric: ReturnType<typeof useDashboardParams>['setMetric'];
  onCompare: (mode: CompareMode | null) => void;
  interval: Interval;
  intervals: Interval[];
  onInterval: (interval: Interval) => void;
  today: string;
  onFilter: (filter: Filter) => void;
}) {
  const summary = useSummary(query);
  // The share columns divide by the period's totals, once they are this period's.
  const totals = summary.isPlaceholderData ? undefined : summary.data;
  return (
    <>
      <TopStats query={query} metric={metric} onMetric={onMetric} />
      <Chart
        query={query}
        previousQuery={previousQuery}
        metric={metric}
        compare={compare}
        onCompare={onCompare}
        interval={interval}
        intervals={intervals}
        onInterval={onInterval}
        today={today}
      />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <EventsPanel query={query} onFilter={onFilter} totals={totals} />
        <PagesPanel query={query} onFilter={onFilter} totals={totals} />
        <BreakdownPanel title="Sources" tabs={SOURCES} query={query} onFilter={onFilter} totals={totals} />
        <BreakdownPanel title="Pages" tabs={PAGES} query={query} onFilter={onFilter} totals={totals} />
        <BreakdownPanel title="Devices" tabs={DEVICES} query={query} onFilter={onFilter} totals={totals} />
        <BreakdownPanel title="Countries" tabs={COUNTRIES} query={query} onFilter={onFilter} totals={totals} />
        <GoalsPanel query={query} onFilter={onFilter} />
      </SimpleGrid>
    </>
  );
}
