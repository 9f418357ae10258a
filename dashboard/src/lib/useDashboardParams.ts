import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import { type StatsQuery, useOverview } from '../api/hooks';
import type { SummaryValues } from '../api/types';
import { useAuth } from '../auth/context';
import { useCurrentSite } from '../site/context';
import {
  hasPrevious,
  includesToday,
  parseRange,
  previousPeriod,
  previousYear,
  rangeProblem,
  resolveRange,
  shiftRange,
  todayIn,
  writeRange,
  type DateRange,
} from './dateRange';
import { addFilter, clearFilters, parseFilters, removeFilter, type Filter } from './filters';
import { allowedIntervals, chooseInterval, type Interval, parseInterval, writeInterval } from './intervals';

/** What the chart plots: any of the top stats, per point of the timeseries. */
export type ChartMetric = keyof SummaryValues;
export const CHART_METRICS: readonly ChartMetric[] = [
  'visitors',
  'sessions',
  'pageviews',
  'viewsPerSession',
  'bounceRate',
  'avgSessionDuration',
  'events',
];
export const DEFAULT_METRIC: ChartMetric = 'visitors';

/** What the chart's second line is: the period just before, or the same days a year earlier. */
export type CompareMode = 'previous' | 'year';
export const COMPARE_MODES: readonly CompareMode[] = ['previous', 'year'];

/** `?metric=` (absent: visitors) and `?compare=previous|year` (absent: off). */
export function parseChart(params: URLSearchParams): { metric: ChartMetric; compare: CompareMode | null } {
  // `users` is what links from before the timeseries say for visitors.
  const raw = params.get('metric') === 'users' ? 'visitors' : params.get('metric');
  const metric = CHART_METRICS.find((m) => m === raw) ?? DEFAULT_METRIC;
  const compare = COMPARE_MODES.find((m) => m === params.get('compare')) ?? null;
  return { metric, compare };
}

export function writeChart(params: URLSearchParams, change: { metric?: ChartMetric; compare?: CompareMode | null }) {
  const next = new URLSearchParams(params);
  if (change.metric !== undefined) {
    if (change.metric === DEFAULT_METRIC) next.delete('metric');
    else next.set('metric', change.metric);
  }
  if (change.compare !== undefined) {
    if (change.compare) next.set('compare', change.compare);
    else next.delete('compare');
  }
  return next;
}

/**
 * The dashboard's range, filters and chart choices, read from and written to the URL (beside
 * `site`, which the SiteProvider owns). Days are counted in the current site's time zone.
 */
export function useDashboardParams() {
  const [params, setParams] = useSearchParams();
  const { session } = useAuth();
  const { site } = useCurrentSite();
  const timezone = site?.timezone ?? session?.user.timezone ?? 'UTC';
  const search = params.toString();
  // "All time" starts on the site's first counted event (the overview says which day).
  const firstDay = useOverview([]).data?.firstDay ?? null;

  const state = useMemo(() => {
    const current = new URLSearchParams(search);
    const range = parseRange(current);
    const filters = parseFilters(current);
    const today = todayIn(timezone);
    const resolved = resolveRange(range, today, firstDay);
    const query: StatsQuery = { from: resolved.from, to: resolved.to, filters };
    const { metric, compare } = parseChart(current);
    const interval: Interval = chooseInterval(parseInterval(current), resolved);
    // The chart's comparison line: one more daily call, as long as the period.
    const previous = compare === 'year' ? previousYear(resolved) : previousPeriod(resolved);
    const previousQuery: StatsQuery = { from: previous.from, to: previous.to, filters };
    return {
      range,
      filters,
      today,
      query,
      previousQuery,
      /** Why the API would refuse the range (over ten years): then no report is asked for. */
      problem: rangeProblem(resolved),
      canNext: !includesToday(range, today),
      canPrevious: hasPrevious(range),
      metric,
      compare,
      /** The chart's interval, and those the range allows. */
      interval,
      intervals: allowedIntervals(resolved),
    };
  }, [search, timezone, firstDay]);

  // Two changes in quick succession (a chip removed, then another, before the URL has moved)
  // must build on each other: the second starts from the first's result, not from the old URL.
  const pending = useRef<URLSearchParams | null>(null);
  useEffect(() => {
    pending.current = null;
  }, [search]);
  const update = useCallback(
    (change: (p: URLSearchParams) => URLSearchParams) => {
      setParams((p) => {
        const next = change(pending.current ?? p);
        pending.current = next;
        return next;
      });
    },
    [setParams],
  );

  const { range, today } = state;
  return {
    ...state,
    timezone,
    // A chosen interval belongs to its period: another period starts at its own default.
    setRange: useCallback((next: DateRange) => update((p) => writeInterval(writeRange(p, next), null)), [update]),
    shift: useCallback(
      (step: -1 | 1) => {
        const next = shiftRange(range, today, step);
        if (next) update((p) => writeRange(p, next));
      },
      [range, today, update],
    ),
    setMetric: useCallback((metric: ChartMetric) => update((p) => writeChart(p, { metric })), [update]),
    setCompare: useCallback((compare: CompareMode | null) => update((p) => writeChart(p, { compare })), [update]),
    setInterval: useCallback((interval: Interval | null) => update((p) => writeInterval(p, interval)), [update]),
    addFilter: (filter: Filter) => update((p) => addFilter(p, filter)),
    removeFilter: (filter: Filter) => update((p) => removeFilter(p, filter)),
    clearFilters: () => update((p) => clearFilters(p)),
  };
}
