import type { Goal } from '../api/types';
import type { Filter } from './filters';

/**
 * The dashboard filter a goal stands for: an event goal filters by its event name, a page goal by
 * its path. A page goal with `*` matches many paths, which no filter can say: null.
 */
export function goalFilter(goal: Pick<Goal, 'kind' | 'match'>): Filter | null {
  if (goal.kind === 'event') return { dimension: 'eventName', value: goal.match };
  if (goal.match.includes('*')) return null;
  return { dimension: 'page', value: goal.match };
}

/** Why a goal cannot filter the dashboard (for its tooltip). */
export const WILDCARD_GOAL_HELP = 'A page goal with * matches several pages: it cannot filter the dashboard.';

/** "Event signup", "Page /blog/*". */
export function goalDescription(goal: Pick<Goal, 'kind' | 'match'>): string {
  return `${goal.kind === 'event' ? 'Event' : 'Page'} ${goal.match}`;
}
