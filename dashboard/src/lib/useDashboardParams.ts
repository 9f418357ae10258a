import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { StatsQuery } from '../api/hooks';
import { useAuth } from '../auth/context';
import { useCurrentSite } from '../site/context';
import { parseRange, resolveRange, todayIn, writeRange, type DateRange } from './dateRange';
import { addFilter, clearFilters, parseFilters, removeFilter, type Filter } from './filters';

/**
 * The dashboard's range and filters, read from and written to the URL (beside `site`, which the
 * SiteProvider owns). Days are counted in the current site's time zone.
 */
export function useDashboardParams() {
  const [params, setParams] = useSearchParams();
  const { session } = useAuth();
  const { site } = useCurrentSite();
  const timezone = site?.timezone ?? session?.user.timezone ?? 'UTC';
  const search = params.toString();

  const state = useMemo(() => {
    const current = new URLSearchParams(search);
    const range = parseRange(current);
    const filters = parseFilters(current);
    const today = todayIn(timezone);
    const { from, to } = resolveRange(range, today);
    const query: StatsQuery = { from, to, filters };
    return { range, filters, today, query };
  }, [search, timezone]);

  const update = useCallback(
    (change: (p: URLSearchParams) => URLSearchParams) => setParams((p) => change(p)),
    [setParams],
  );

  return {
    ...state,
    timezone,
    setRange: (range: DateRange) => update((p) => writeRange(p, range)),
    addFilter: (filter: Filter) => update((p) => addFilter(p, filter)),
    removeFilter: (filter: Filter) => update((p) => removeFilter(p, filter)),
    clearFilters: () => update((p) => clearFilters(p)),
  };
}
