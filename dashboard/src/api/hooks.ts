/** One TanStack Query hook per endpoint. Query keys carry the range and filters they depend on. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi, useAuth } from '../auth/context';
import { formatFilter, type Filter } from '../lib/filters';
import { ApiError, apiFetch } from './client';
import type {
  BreakdownDimension,
  BreakdownRow,
  DailyPoint,
  EventRow,
  EventsPage,
  IngestResult,
  Overview,
  PageRow,
  Realtime,
  Summary,
  User,
} from './types';

export { useHealth, healthKey } from './health';
export type { Health, ComponentState, HealthComponentName } from './health';

export interface StatsQuery {
  from: string;
  to: string;
  filters: Filter[];
}

type Params = Record<string, string | number | undefined | null>;

/** `?a=1&filter=x:y&filter=...` for a stats call. */
export function statsSearch(query: Partial<StatsQuery>, extra: Params = {}): string {
  const params = new URLSearchParams();
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  for (const f of query.filters ?? []) params.append('filter', formatFilter(f));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function keyOf(query: Partial<StatsQuery>) {
  return { from: query.from ?? null, to: query.to ?? null, filters: (query.filters ?? []).map(formatFilter) };
}

/** Stop polling on answers that will not change by asking again (404: not deployed, 403, 400). */
function pollUnlessClientError(ms: number) {
  return (q: { state: { error: unknown } }) => {
    const err = q.state.error;
    return err instanceof ApiError && err.status >= 400 && err.status < 500 ? false : ms;
  };
}

function useStats<T>(name: string, query: Partial<StatsQuery>, extra: Params = {}, refetchInterval?: number) {
  const api = useApi();
  return useQuery<T, Error>({
    queryKey: ['stats', name, keyOf(query), extra],
    queryFn: ({ signal }) => api.request<T>(`/api/v1/stats/${name}${statsSearch(query, extra)}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: refetchInterval ? pollUnlessClientError(refetchInterval) : undefined,
  });
}

/** The seed's four cards: today / this month, independent of the selected range. */
export function useOverview(filters: Filter[]) {
  return useStats<Overview>('overview', { filters });
}

export function useDaily(query: StatsQuery) {
  return useStats<DailyPoint[]>('daily', query);
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
    onSuccess: (user) => {
      queryClient.setQueryData(meKey, user);
      updateUser(user);
      // A new time zone moves "today": every stat changes.
      void queryClient.invalidateQueries({ queryKey: ['stats'] });
    },
  });
}

export function useRotateApiKey() {
  const { client, updateUser } = useAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => client.request<{ apiKey: string }>('/api/v1/users/me/api-key', { method: 'POST' }),
    onSuccess: ({ apiKey }) => {
      const user = queryClient.getQueryData<User>(meKey);
      if (user) {
        queryClient.setQueryData(meKey, { ...user, apiKey });
        updateUser({ ...user, apiKey });
      }
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

/** The raw-event explorer, newest first, paged with `cursor`. */
export function useEventsExplorer(search: EventSearch, limit = 50) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['events', 'list', search, limit],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      api.request<EventsPage>(`/api/v1/events?${eventSearchParams(search, { limit, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.nextCursor || null,
  });
}

/** Polls for the account's newest event until there is one (the Setup page's check). */
export function useFirstEvent(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['events', 'first'],
    enabled,
    queryFn: ({ signal }) => api.request<EventsPage>('/api/v1/events?limit=1', { signal }),
    refetchInterval: (q) => ((q.state.data?.items.length ?? 0) > 0 ? false : q.state.error ? 15_000 : 3_000),
    retry: false,
  });
}

export function randomId(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Sends one TEST_EVENT with the account's key, the way the SDK would (text/plain, no preflight). */
export function useSendTestEvent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (apiKey: string) =>
      apiFetch<IngestResult>('/api/v1/events', {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({
          apiKey,
          events: [
            {
              sessionId: randomId(),
              eventId: randomId(),
              eventTime: Date.now(),
              eventName: 'TEST_EVENT',
              page: window.location.href,
            },
          ],
        }),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['events', 'first'] }),
  });
}
