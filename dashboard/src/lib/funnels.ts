import type { FunnelStepSpec, GoalKind } from '../api/types';

export const MAX_STEPS = 8;
export const MIN_STEPS = 2;

/** The windows offered; a saved funnel's other `Nd` window is offered too while it is picked. */
export const WINDOWS = [
  { value: 'session', label: 'Same visit' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
];

export function windowOptions(current: string): { value: string; label: string }[] {
  if (WINDOWS.some((w) => w.value === current)) return WINDOWS;
  const days = /^(\d+)d$/.exec(current);
  return [...WINDOWS, { value: current, label: days ? `${days[1]} days` : current }];
}

export interface DraftStep {
  key: number;
  kind: GoalKind;
  match: string;
}

let nextKey = 1;

export function draftStep(kind: GoalKind = 'page', match = ''): DraftStep {
  return { key: nextKey++, kind, match };
}

/** The steps the report can be asked for: those with a match, trimmed. */
export function readySteps(steps: DraftStep[]): FunnelStepSpec[] {
  return steps.map((s) => ({ kind: s.kind, match: s.match.trim() })).filter((s) => s.match !== '');
}

/** Why the draft cannot be charted yet, or null. */
export function draftProblem(steps: DraftStep[]): string | null {
  const ready = readySteps(steps);
  if (ready.length < MIN_STEPS) return `Give at least ${MIN_STEPS} steps an event name or a page path.`;
  const bad = ready.find((s) => s.kind === 'page' && !s.match.startsWith('/'));
  if (bad) return `A page step is a path starting with / (not “${bad.match}”).`;
  return null;
}

/** Unique, non-empty values in their first order. */
export function uniqueValues(values: (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}
