/**
 * Date ranges of the dashboard, kept in the URL:
 *   ?period=today|7d|30d|month        a preset, resolved against "today" in the account's zone
 *   ?from=YYYY-MM-DD&to=YYYY-MM-DD    a custom range (inclusive)
 * Days are plain calendar strings; arithmetic runs in UTC so no local DST shift can move them.
 */

export type PresetId = 'today' | '7d' | '30d' | 'month';

export type DateRange = { kind: 'preset'; preset: PresetId } | { kind: 'custom'; from: string; to: string };

export interface ResolvedRange {
  from: string;
  to: string;
}

export const PRESETS: ReadonlyArray<{ id: PresetId; label: string }> = [
  { id: 'today', label: 'Today' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: 'month', label: 'This month' },
];

export const DEFAULT_RANGE: DateRange = { kind: 'preset', preset: '30d' };

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

function dayToUtcMs(day: string): number {
  const m = DAY_RE.exec(day);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function utcMsToDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A real calendar day written YYYY-MM-DD (2024-02-30 is not one). */
export function isIsoDay(value: string | null | undefined): value is string {
  if (!value) return false;
  const ms = dayToUtcMs(value);
  return Number.isFinite(ms) && utcMsToDay(ms) === value;
}

export function addDays(day: string, n: number): string {
  return utcMsToDay(dayToUtcMs(day) + n * MS_PER_DAY);
}

/** Number of days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayToUtcMs(to) - dayToUtcMs(from)) / MS_PER_DAY) + 1;
}

/** Today's calendar day in an IANA zone (falls back to UTC for an unknown zone). */
export function todayIn(timeZone: string | null | undefined, now: Date = new Date()): string {
  const format = (zone: string | undefined) => {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).formatToParts(now);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')}`;
  };
  try {
    return format(timeZone || 'UTC');
  } catch {
    return format('UTC');
  }
}

export function resolveRange(range: DateRange, today: string): ResolvedRange {
  switch (range.kind) {
    case 'custom':
      return range.from <= range.to ? { from: range.from, to: range.to } : { from: range.to, to: range.from };
    case 'preset':
      switch (range.preset) {
        case 'today':
          return { from: today, to: today };
        case '7d':
          return { from: addDays(today, -6), to: today };
        case '30d':
          return { from: addDays(today, -29), to: today };
        case 'month':
          return { from: `${today.slice(0, 7)}-01`, to: today };
      }
  }
}

function isPreset(value: string | null): value is PresetId {
  return PRESETS.some((p) => p.id === value);
}

/** The range a URL describes; anything malformed falls back to the default. */
export function parseRange(params: URLSearchParams): DateRange {
  const from = params.get('from');
  const to = params.get('to');
  if (isIsoDay(from) && isIsoDay(to)) {
    return from <= to ? { kind: 'custom', from, to } : { kind: 'custom', from: to, to: from };
  }
  const period = params.get('period');
  if (isPreset(period)) return { kind: 'preset', preset: period };
  return DEFAULT_RANGE;
}

/** A copy of `params` describing `range`, every other parameter (filters) kept. */
export function writeRange(params: URLSearchParams, range: DateRange): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('period');
  next.delete('from');
  next.delete('to');
  if (range.kind === 'preset') {
    next.set('period', range.preset);
  } else {
    next.set('from', range.from);
    next.set('to', range.to);
  }
  return next;
}

export function sameRange(a: DateRange, b: DateRange): boolean {
  if (a.kind === 'preset' && b.kind === 'preset') return a.preset === b.preset;
  if (a.kind === 'custom' && b.kind === 'custom') return a.from === b.from && a.to === b.to;
  return false;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 5" (or "Mar 5, 2024" with the year). */
export function formatDay(day: string, withYear = false): string {
  const m = DAY_RE.exec(day);
  if (!m) return day;
  const label = `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}`;
  return withYear ? `${label}, ${m[1]}` : label;
}

export function rangeLabel(range: DateRange): string {
  if (range.kind === 'preset') return PRESETS.find((p) => p.id === range.preset)?.label ?? range.preset;
  if (range.from === range.to) return formatDay(range.from, true);
  return `${formatDay(range.from, range.from.slice(0, 4) !== range.to.slice(0, 4))} – ${formatDay(range.to, true)}`;
}
