/**
 * Date ranges of the dashboard, kept in the URL:
 *   ?period=today|yesterday|7d|30d|month|lastMonth|90d|12mo|ytd|all   a preset, resolved against
 *                                                           "today" in the site's zone ("all" from
 *                                                           the day of the site's first event)
 *   ?from=YYYY-MM-DD&to=YYYY-MM-DD                                 a custom range (inclusive)
 * Days are plain calendar strings; arithmetic runs in UTC so no local DST shift can move them.
 */

export type PresetId = 'today' | 'yesterday' | '7d' | '30d' | 'month' | 'lastMonth' | '90d' | '12mo' | 'ytd' | 'all';

export type DateRange = { kind: 'preset'; preset: PresetId } | { kind: 'custom'; from: string; to: string };

export interface ResolvedRange {
  from: string;
  to: string;
}

/** The presets in menu order, with Plausible's keyboard shortcuts. */
export const PRESETS: ReadonlyArray<{ id: PresetId; label: string; key?: string }> = [
  { id: 'today', label: 'Today', key: 'd' },
  { id: 'yesterday', label: 'Yesterday', key: 'e' },
  { id: '7d', label: 'Last 7 days', key: 'w' },
  { id: '30d', label: 'Last 30 days', key: 't' },
  { id: 'month', label: 'This month', key: 'm' },
  { id: 'lastMonth', label: 'Last month' },
  { id: '90d', label: 'Last 90 days' },
  { id: '12mo', label: 'Last 12 months', key: 'y' },
  { id: 'ytd', label: 'Year to date' },
  { id: 'all', label: 'All time', key: 'a' },
];

export const DEFAULT_RANGE: DateRange = { kind: 'preset', preset: '30d' };

/** The API answers periods of at most this many days (ten years). */
export const MAX_RANGE_DAYS = 3660;

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

/** The first day of the month `n` months after (before, for negative n) the month of `day`. */
export function addMonths(day: string, n: number): string {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7)) - 1 + n;
  return utcMsToDay(Date.UTC(year, month, 1));
}

/** The last day of the month of `day`. */
export function endOfMonth(day: string): string {
  return addDays(addMonths(day, 1), -1);
}

function startOfMonth(day: string): string {
  return `${day.slice(0, 7)}-01`;
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

/**
 * The days a range covers. "All time" starts on `firstDay`, the site's first counted event's day
 * (today while there is none).
 */
export function resolveRange(range: DateRange, today: string, firstDay?: string | null): ResolvedRange {
  switch (range.kind) {
    case 'custom':
      return range.from <= range.to ? { from: range.from, to: range.to } : { from: range.to, to: range.from };
    case 'preset':
      switch (range.preset) {
        case 'today':
          return { from: today, to: today };
        case 'yesterday': {
          const day = addDays(today, -1);
          return { from: day, to: day };
        }
        case '7d':
          return { from: addDays(today, -6), to: today };
        case '30d':
          return { from: addDays(today, -29), to: today };
        case '90d':
          return { from: addDays(today, -89), to: today };
        case 'month':
          return { from: startOfMonth(today), to: today };
        case 'lastMonth': {
          const from = addMonths(today, -1);
          return { from, to: endOfMonth(from) };
        }
        case '12mo':
          // This month and the 11 before it, as Plausible counts "last 12 months".
          return { from: addMonths(today, -11), to: today };
        case 'ytd':
          return { from: `${today.slice(0, 4)}-01-01`, to: today };
        case 'all': {
          // From the first counted day (today before any), at most ten years back: the API's limit.
          const earliest = addDays(today, 1 - MAX_RANGE_DAYS);
          const first = firstDay && isIsoDay(firstDay) && firstDay < today ? firstDay : today;
          return { from: [first, earliest].sort().at(-1) ?? today, to: today };
        }
      }
  }
}

/** The period just before `range` with as many days: what the summary's `previous` covers. */
export function previousPeriod({ from, to }: ResolvedRange): ResolvedRange {
  const days = daysBetween(from, to);
  return { from: addDays(from, -days), to: addDays(from, -1) };
}

/** The same days one year earlier (Feb 29 becomes Feb 28). */
export function previousYear({ from, to }: ResolvedRange): ResolvedRange {
  const back = (day: string) => {
    const shifted = `${Number(day.slice(0, 4)) - 1}${day.slice(4)}`;
    return isIsoDay(shifted) ? shifted : addDays(`${Number(day.slice(0, 4)) - 1}${day.slice(4, 8)}01`, 27);
  };
  return { from: back(from), to: back(to) };
}

/** Why the API would refuse a range, or null when it is fine. */
export function rangeProblem({ from, to }: ResolvedRange): string | null {
  const days = daysBetween(from, to);
  if (days > MAX_RANGE_DAYS) {
    return `Pick a range of at most ten years (${MAX_RANGE_DAYS.toLocaleString('en-US')} days; this one has ${days.toLocaleString('en-US')}).`;
  }
  return null;
}

/** Whether `from`..`to` is whole calendar months (Feb 1 – Feb 29, Jan 1 – Mar 31). */
function wholeMonths({ from, to }: ResolvedRange): number {
  if (from.slice(8) !== '01' || to !== endOfMonth(to)) return 0;
  const months =
    (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1;
  return months;
}

/** The range that was shown, as the simplest range that describes it (a preset when one does). */
export function canonicalRange(resolved: ResolvedRange, today: string): DateRange {
  const match = PRESETS.filter((p) => p.id !== 'all').find((p) => {
    const r = resolveRange({ kind: 'preset', preset: p.id }, today);
    return r.from === resolved.from && r.to === resolved.to;
  });
  return match ? { kind: 'preset', preset: match.id } : { kind: 'custom', ...resolved };
}

/**
 * The period before (`step` -1) or after (+1) `range`. A custom period of whole months moves by that many
 * months (This month → last month → the month before); a period still running (This month, Year to
 * date) moves to the whole previous month or year; any other moves by its number of days.
 * Returns null for a step past today.
 */
export function shiftRange(range: DateRange, today: string, step: -1 | 1): DateRange | null {
  if (range.kind === 'preset' && range.preset === 'all') return null;
  const current = resolveRange(range, today);
  let next: ResolvedRange;
  if (range.kind === 'preset' && range.preset === 'month') {
    const from = addMonths(current.from, step);
    next = { from, to: endOfMonth(from) };
  } else if (range.kind === 'preset' && range.preset === 'ytd') {
    const year = Number(current.from.slice(0, 4)) + step;
    next = { from: `${year}-01-01`, to: `${year}-12-31` };
  } else if (range.kind === 'preset' && range.preset === '12mo') {
    const from = addMonths(current.from, 12 * step);
    next = { from, to: step < 0 ? addDays(current.from, -1) : endOfMonth(addMonths(from, 11)) };
  } else {
    // Rolling windows (7, 30, 90 days) stay rolling even on a day they happen to be whole months.
    const months =
      range.kind === 'custom' ? wholeMonths(current) : range.kind === 'preset' && range.preset === 'lastMonth' ? 1 : 0;
    if (months > 0) {
      const from = addMonths(current.from, months * step);
      next = { from, to: endOfMonth(addMonths(from, months - 1)) };
    } else {
      const days = daysBetween(current.from, current.to);
      next = { from: addDays(current.from, days * step), to: addDays(current.to, days * step) };
    }
  }
  if (next.from > today) return null;
  // Moving forward onto the running period: it ends today.
  if (next.to > today) next = { from: next.from, to: today };
  return canonicalRange(next, today);
}

/** Whether there is a period before this one to move to (not before all time). */
export function hasPrevious(range: DateRange): boolean {
  return !(range.kind === 'preset' && range.preset === 'all');
}

/** Whether the period includes today (then there is nothing after it to move to). */
export function includesToday(range: DateRange, today: string): boolean {
  return resolveRange(range, today).to >= today;
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

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

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
  const months = wholeMonths(range);
  if (months === 1) return `${LONG_MONTHS[Number(range.from.slice(5, 7)) - 1]} ${range.from.slice(0, 4)}`;
  if (months === 12 && range.from.slice(5) === '01-01') return range.from.slice(0, 4);
  return `${formatDay(range.from, range.from.slice(0, 4) !== range.to.slice(0, 4))} – ${formatDay(range.to, true)}`;
}

/** "Mar 1 – Mar 7, 2024", the days a resolved range covers. */
export function resolvedLabel({ from, to }: ResolvedRange): string {
  return rangeLabel({ kind: 'custom', from, to });
}
