/**
 * The hooks of goals, funnels and retention: their reports (through useStats, like every stats
 * card) and the goals and saved funnels of a site.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/context';
import { useCurrentSite, withSiteParam } from '../site/context';
import { type Params, type StatsQuery, useStats } from './hooks';
import type {
  FunnelChange,
  FunnelResult,
  FunnelStepSpec,
  Goal,
  GoalChange,
  GoalStat,
  NewFunnel,
  NewGoal,
  Retention,
  RetentionUnit,
  SavedFunnel,
} from './types';

/** Each goal's visitors, conversions and conversion rate over the period, under the filters. */
export function useGoalStats(query: StatsQuery) {
  return useStats<GoalStat[]>('goals', query);
}

/** A funnel step as the API's `step=` parameter: `kind:match`. */
export function formatStep(step: FunnelStepSpec): string {
  return `${step.kind}:${step.match}`;
}

/** What the funnel report asks for: a saved funnel, or the steps (2 to 8) and window given. */
export type FunnelSpec = { funnelId: string } | { steps: FunnelStepSpec[]; window: string };

/** Visitors reaching each step of a funnel, in order, within the window; off while `spec` is null. */
export function useFunnelStats(spec: FunnelSpec | null, query: StatsQuery) {
  const extra: Params =
    spec === null
      ? {}
      : 'funnelId' in spec
        ? { funnelId: spec.funnelId }
        : { step: spec.steps.map(formatStep), window: spec.window };
  return useStats<FunnelResult>('funnel', query, extra, undefined, { enabled: spec !== null });
}

/** Cohorts of the period's visitors by the unit of their first event, and how many came back. */
export function useRetention(unit: RetentionUnit, query: StatsQuery) {
  return useStats<Retention>('retention', query, { unit });
}

export const goalsKey = (site: string | null) => ['goals', site] as const;
export const funnelsKey = (site: string | null) => ['funnels', site] as const;

function idPath(base: string, id: string, site: string | null): string {
  return withSiteParam(`${base}/${encodeURIComponent(id)}`, site);
}

/** The goals of `site` (null: the current site). */
export function useGoals(site?: string | null) {
  const api = useApi();
  const current = useCurrentSite();
  const siteId = site === undefined ? current.siteId : site;
  return useQuery({
    queryKey: goalsKey(siteId),
    enabled: current.ready,
    queryFn: ({ signal }) => api.request<Goal[]>(withSiteParam('/api/v1/goals', siteId), { signal }),
  });
}

/** After a goal changes: the list and the goals report of the site are out of date. */
function useGoalsChanged(siteId: string | null) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: goalsKey(siteId) });
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'stats' && q.queryKey[2] === 'goals' });
  };
}

export function useCreateGoal(siteId: string | null) {
  const api = useApi();
  const changed = useGoalsChanged(siteId);
  return useMutation({
    mutationFn: (body: NewGoal) =>
      api.request<Goal>(withSiteParam('/api/v1/goals', siteId), { method: 'POST', json: body }),
    onSuccess: changed,
  });
}

export function useUpdateGoal(siteId: string | null) {
  const api = useApi();
  const changed = useGoalsChanged(siteId);
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: GoalChange }) =>
      api.request<Goal>(idPath('/api/v1/goals', id, siteId), { method: 'PATCH', json: change }),
    onSuccess: changed,
  });
}

export function useDeleteGoal(siteId: string | null) {
  const api = useApi();
  const changed = useGoalsChanged(siteId);
  return useMutation({
    mutationFn: (id: string) =>
      api.request<Record<string, never>>(idPath('/api/v1/goals', id, siteId), { method: 'DELETE' }),
    onSuccess: changed,
  });
}

/** The saved funnels of the current site. */
export function useFunnels() {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  return useQuery({
    queryKey: funnelsKey(siteId),
    enabled: ready,
    queryFn: ({ signal }) => api.request<SavedFunnel[]>(withSiteParam('/api/v1/funnels', siteId), { signal }),
  });
}

function useFunnelsChanged(siteId: string | null) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: funnelsKey(siteId) });
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === 'stats' && q.queryKey[2] === 'funnel' });
  };
}

export function useCreateFunnel() {
  const api = useApi();
  const { siteId } = useCurrentSite();
  const changed = useFunnelsChanged(siteId);
  return useMutation({
    mutationFn: (body: NewFunnel) =>
      api.request<SavedFunnel>(withSiteParam('/api/v1/funnels', siteId), { method: 'POST', json: body }),
    onSuccess: changed,
  });
}

export function useUpdateFunnel() {
  const api = useApi();
  const { siteId } = useCurrentSite();
  const changed = useFunnelsChanged(siteId);
  return useMutation({
    mutationFn: ({ id, change }: { id: string; change: FunnelChange }) =>
      api.request<SavedFunnel>(idPath('/api/v1/funnels', id, siteId), { method: 'PATCH', json: change }),
    onSuccess: changed,
  });
}

export function useDeleteFunnel() {
  const api = useApi();
  const { siteId } = useCurrentSite();
  const changed = useFunnelsChanged(siteId);
  return useMutation({
    mutationFn: (id: string) =>
      api.request<Record<string, never>>(idPath('/api/v1/funnels', id, siteId), { method: 'DELETE' }),
    onSuccess: changed,
  });
}
