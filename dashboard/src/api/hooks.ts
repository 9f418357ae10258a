/**
 * One TanStack Query hook per endpoint. Query keys carry the site, range and filters they depend
 * on: the stats and events hooks are scoped to the current site (see site/context.ts).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useApi, useAuth } from '../auth/context';
import { formatFilter, type Filter } from '../lib/filters';
import { useCurrentSite, withSiteParam } from '../site/context';
import { ApiError } from './client';
import type {
  BreakdownDimension,
  BreakdownRow,
  EventRow,
  EventsPage,
  IngestResult,
  Overview,
  PageRow,
  Realtime,
  Refusals,
  Site,
  Summary,
  TimePoint,
  User,
} from './types';
import type { Interval } from '../lib/intervals';

export { useHealth, healthKey } from './health';
export type { Health, ComponentState, HealthComponentName } from './health';

export interface StatsQuery {
  from: string;
  to: string;
  filters: Filter[];
}

export type Params = Record<string, string | number | readonly string[] | undefined | null>;

/** `?a=1&filter=x:y&filter=...` for a stats call. */
export function statsSearch(query: Partial<StatsQuery>, extra: Params = {}): string {
  const params = new URLSearchParams();
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  for (const [key, value] of Object.entries(extra)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  for (const f of query.filters ?? []) params.append('filter', formatFilter(f));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The URL of a stats report of `site` (null: the account's first site). */
export function statsPath(name: string, site: string | null, query: Partial<StatsQuery>, extra: Params = {}): string {
  return `/api/v1/stats/${name}${statsSearch(query, { site, ...extra })}`;
}

function keyOf(query: Partial<StatsQuery>) {
  return { from: query.from ?? null, to: query.to ?? null, filters: (query.filters ?? []).map(formatFilter) };
}

/** Keep showing the previous answer while the range or filters change, never another site's. */
function sameSitePlaceholder(site: string | null) {
  return <T>(previous: T | undefined, previousQuery: { queryKey: QueryKey } | undefined) =>
    previousQuery?.queryKey[1] === site ? previous : undefined;
}

/** Stop polling on answers that will not change by asking again (404: not deployed, 403, 400). */
function pollUnlessClientError(ms: number) {
  return (q: { state: { error: unknown } }) => {
    const err = q.state.error;
    return err instanceof ApiError && err.status >= 400 && err.status < 500 ? false : ms;
  };
}

export interface StatsOptions {
  /** false: do not fetch (the report is not shown); default true. */
  enabled?: boolean;
}

export function useStats<T>(
  name: string,
  query: Partial<StatsQuery>,
  extra: Params = {},
  refetchInterval?: number,
  { enabled = true }: StatsOptions = {},
) {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  return useQuery<T, Error>({
    queryKey: ['stats', siteId, name, keyOf(query), extra],
    enabled: ready && enabled,
    queryFn: ({ signal }) => api.request<T>(statsPath(name, siteId, query, extra), { signal }),
    placeholderData: sameSitePlaceholder(siteId),
    refetchInterval: refetchInterval ? pollUnlessClientError(refetchInterval) : undefined,
  });
}

/** The seed's four cards: today / this month, independent of the selected range. */
export function useOverview(filters: Filter[]) {
  return useStats<Overview>('overview', { filters });
}

/** The summary's numbers per hour, day, week or month of the period (the chart). */
export function useTimeseries(query: StatsQuery, interval: Interval, options: StatsOptions = {}) {
  return useStats<TimePoint[]>('timeseries', query, { interval }, undefined, options);
}

export function useEventsTable(query: StatsQuery) {
  return useStats<EventRow[]>('events', query);
}

export function usePages(query: StatsQuery) {
  return useStats<PageRow[]>('pages', query);
}

export function useSummary(query: StatsQuery) {
  return useStats<Summary>('summary', query);
}

export function useBreakdown(dimension: BreakdownDimension, query: StatsQuery) {
  return useStats<BreakdownRow[]>('breakdown', query, { dimension });
}

export function useRealtime(filters: Filter[]) {
  return useStats<Realtime>('realtime', { filters }, {}, 15_000);
}

export const meKey = ['me'] as const;

export function useMe() {
  const { client, session, updateUser } = useAuth();
  return useQuery({
    queryKey: meKey,
    queryFn: async ({ signal }) => {
      const user = await client.request<User>('/api/v1/users/me', { signal });
      updateUser(user);
      return user;
    },
    initialData: session?.user,
    initialDataUpdatedAt: 0, // always confirm the stored copy with the server
    staleTime: 30_000,
  });
}

export type ProfileChange = Partial<Pick<User, 'name' | 'timezone' | 'allowedOrigins'>>;
export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

export function useUpdateMe() {
  const { client, updateUser } = useAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProfileChange | PasswordChange) =>
      client.request<User>('/api/v1/users/me', { method: 'PATCH', json: body }),
    onSuccess: (user, body) => {
      queryClient.setQueryData(meKey, user);
      updateUser(user);
      if ('timezone' in body || 'allowedOrigins' in body) {
        // They describe the first site; a new time zone moves "today": every stat changes.
        void queryClient.invalidateQueries({ queryKey: sitesKey });
        void queryClient.invalidateQueries({ queryKey: ['stats'] });
      }
    },
  });
}

export const sitesKey = ['sites', 'list'] as const;
export const siteKey = (id: string) => ['sites', 'detail', id] as const;

/** The account's sites, oldest first (the first is the one `user` describes). */
export function useSites(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: sitesKey,
    enabled,
    queryFn: ({ signal }) => api.request<Site[]>('/api/v1/sites', { signal }),
    staleTime: 30_000,
  });
}

export function useSite(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: siteKey(id),
    queryFn: ({ signal }) => api.request<Site>(`/api/v1/sites/${encodeURIComponent(id)}`, { signal }),
    initialData: () => queryClient.getQueryData<Site[]>(sitesKey)?.find((s) => s.id === id),
  });
}

export interface NewSite {
  name: string;
  domain?: string | null;
  timezone?: string;
  allowedOrigins?: string[];
  retentionDays?: number | null;
}
export type SiteChange = Partial<NewSite>;

/** Put `site` into the cached list (replacing the one with its id, or appending it) and refresh what depends on sites. */
function useSiteChanged() {
  const queryClient = useQueryClient();
  return (site: Site | null, removedId?: string) => {
    queryClient.setQueryData<Site[]>(sitesKey, (list) => {
      if (!list) return list;
      if (!site) return list.filter((s) => s.id !== removedId);
      return list.some((s) => s.id === site.id) ? list.map((s) => (s.id === site.id ? site : s)) : [...list, site];
    });
    if (site) queryClient.setQueryData(siteKey(site.id), site);
    if (removedId) queryClient.removeQueries({ queryKey: siteKey(removedId) });
    void queryClient.invalidateQueries({ queryKey: ['sites'] });
    // `user.apiKey`, `timezone` and `allowedOrigins` describe the first site.
    void queryClient.invalidateQueries({ queryKey: meKey });
  };
}

export function useCreateSite() {
  const api = useApi();
  const changed = useSiteChanged();
  return useMutation({
    mutationFn: (body: NewSite) => api.request<Site>('/api/v1/sites', { method: 'POST', json: body }),
    onSuccess: (site) => changed(site),
  });
}

export function useUpdateSite() {
  const api = useApi();
  const queryClient = useQueryClient();
  const changed = useSiteChanged();
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: SiteChange }) =>
      api.request<Site>(`/api/v1/sites/${encodeURIComponent(id)}`, { method: 'PATCH', json: change }),
    onSuccess: (site, { change }) => {
      changed(site);
      // A new time zone moves "today": every stat of the site changes.
      if (change.timezone !== undefined) void queryClient.invalidateQueries({ queryKey: ['stats', site.id] });
    },
  });
}

export function useRotateSiteKey() {
  const api = useApi();
  const queryClient = useQueryClient();
  const changed = useSiteChanged();
  return useMutation({
    mutationFn: (id: string) =>
      api.request<{ apiKey: string }>(`/api/v1/sites/${encodeURIComponent(id)}/api-key`, { method: 'POST' }),
    onSuccess: ({ apiKey }, id) => {
      const site = queryClient.getQueryData<Site[]>(sitesKey)?.find((s) => s.id === id);
      changed(site ? { ...site, apiKey } : null);
    },
  });
}

/** Deletes a site (its data goes in the background); 409 for the account's last site. */
export function useDeleteSite() {
  const api = useApi();
  const queryClient = useQueryClient();
  const changed = useSiteChanged();
  return useMutation({
    mutationFn: (id: string) =>
      api.request<Record<string, never>>(`/api/v1/sites/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: (_, id) => {
      changed(null, id);
      queryClient.removeQueries({
        predicate: (q) => (q.queryKey[0] === 'stats' || q.queryKey[0] === 'events') && q.queryKey.includes(id),
      });
    },
  });
}

export interface EventSearch {
  eventName?: string;
  page?: string;
  userId?: string;
  sessionId?: string;
  from?: string;
  to?: string;
}

export function eventSearchParams(search: EventSearch, extra: Params = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...search, ...extra })) {
    if (value !== undefined && value !== null && String(value).trim() !== '') params.set(key, String(value).trim());
  }
  return params;
}

/** The raw-event explorer of the current site, newest first, paged with `cursor`. */
export function useEventsExplorer(search: EventSearch, limit = 50) {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  return useInfiniteQuery({
    queryKey: ['events', 'list', siteId, search, limit],
    enabled: ready,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      api.request<EventsPage>(
        `/api/v1/events?${eventSearchParams(search, { site: siteId, limit, cursor: pageParam })}`,
        {
          signal,
        },
      ),
    getNextPageParam: (last) => last.nextCursor || null,
  });
}

/** Polls for the current site's newest event until there is one (the Setup page's check). */
export function useFirstEvent(enabled = true) {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  return useQuery({
    queryKey: ['events', 'first', siteId],
    enabled: enabled && ready,
    queryFn: ({ signal }) =>
      api.request<EventsPage>(`/api/v1/events?${eventSearchParams({}, { limit: 1, site: siteId })}`, { signal }),
    refetchInterval: (q) => ((q.state.data?.items.length ?? 0) > 0 ? false : q.state.error ? 15_000 : 3_000),
    retry: false,
  });
}

export function randomId(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Events of the current site refused at ingestion (retired key, origin, rate limit...), polled
 * every minute; 404 on a server without the route, and the notices stay hidden. */
export function useRefusals() {
  return useStats<Refusals>('refused', {}, {}, 60_000);
}

/** Sends one TEST_EVENT for the current site through the signed-in route, which skips the
 * allowed-origins check (the dashboard is not one of the site's pages). */
export function useSendTestEvent() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { siteId } = useCurrentSite();
  return useMutation({
    mutationFn: () =>
      api.request<IngestResult>(withSiteParam('/api/v1/events/test', siteId), {
        method: 'POST',
        json: {
          sessionId: randomId(),
          eventId: randomId(),
          eventTime: Date.now(),
          eventName: 'TEST_EVENT',
          page: window.location.href,
        },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['events', 'first'] }),
  });
}

/** The live feed's URL for `site` (null: the account's first site). */
export function livePath(site: string | null): string {
  return withSiteParam('/api/v1/events/live', site);
}
