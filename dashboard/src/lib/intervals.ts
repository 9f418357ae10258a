/**
 * The chart's interval, kept in the URL as `?interval=hour|day|week|month` (absent: the period's
 * default). The limits mirror the API's: hours over at most 7 days, at most 366 points.
 */
import { addDays, addMonths, daysBetween, formatDay, LONG_MONTHS, MONTHS, type ResolvedRange } from './dateRange';

export type Interval = 'hour' | 'day' | 'week' | 'month';
export const INTERVALS: readonly Interval[] = ['hour', 'day', 'week', 'month'];
export const INTERVAL_LABELS: Record<Interval, string> = { hour: 'Hour', day: 'Day', week: 'Week', month: 'Month' };
const MAX_POINTS = 366;
const MAX_HOUR_DAYS = 7;

function weekday(day: string): number {
  // 0 = Monday, as the API's weeks.
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** How many points `range` has at `interval`. */
export function pointCount({ from, to }: ResolvedRange, interval: Interval): number {
  const days = daysBetween(from, to);
  switch (interval) {
    case 'hour':
      return days * 24;
    case 'day':
      return days;
    case 'week':
      return Math.floor((daysBetween(addDays(from, -weekday(from)), to) - 1) / 7) + 1;
    case 'month':
      return (
        (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1
      );
  }
}

/** The intervals the API answers for `range`. */
export function allowedIntervals(range: ResolvedRange): Interval[] {
  return INTERVALS.filter((i) =>
    i === 'hour' ? daysBetween(range.from, range.to) <= MAX_HOUR_DAYS : pointCount(range, i) <= MAX_POINTS,
  );
}

/** Hours for a day or two, days up to a quarter, months beyond (as the API defaults). */
export function defaultInterval(range: ResolvedRange): Interval {
  const days = daysBetween(range.from, range.to);
  return days <= 2 ? 'hour' : days <= 92 ? 'day' : 'month';
}

/** The interval asked for when the range allows it, else the range's default. */
export function chooseInterval(asked: Interval | null, range: ResolvedRange): Interval {
  return asked && allowedIntervals(range).includes(asked) ? asked : defaultInterval(range);
}

export function parseInterval(params: URLSearchParams): Interval | null {
  return INTERVALS.find((i) => i === params.get('interval')) ?? null;
}

/** A copy of `params` with `interval` (null: the default, no parameter). */
export function writeInterval(params: URLSearchParams, interval: Interval | null): URLSearchParams {
  const next = new URLSearchParams(params);
  if (interval) next.set('interval', interval);
  else next.delete('interval');
  return next;
}

/** A point's axis label: "14:00", "Mar 5", "Mar 2026". */
export function pointLabel(start: string, interval: Interval): string {
  if (interval === 'hour') return start.slice(11, 16);
  if (interval === 'month') return `${MONTHS[Number(start.slice(5, 7)) - 1]} ${start.slice(0, 4)}`;
  return formatDay(start.slice(0, 10));
}

/** A point's full name: "Nov 1, 2026, 01:00 (UTC−04:00)", "Week of Mar 2, 2026", "March 2026". */
export function pointName(start: string, interval: Interval): string {
  const day = formatDay(start.slice(0, 10), true);
  switch (interval) {
    case 'hour': {
      const offset = start.slice(16);
      return `${day}, ${start.slice(11, 16)}${offset ? ` (UTC${offset.replace('-', '−')})` : ''}`;
    }
    case 'day':
      return day;
    case 'week':
      return `Week of ${day}`;
    case 'month':
      return `${LONG_MONTHS[Number(start.slice(5, 7)) - 1]} ${start.slice(0, 4)}`;
  }
}

/** "per hour", "per day", … */
export function perInterval(interval: Interval): string {
  return `per ${interval}`;
}

/**
 * The index of the point still running (now falls in it), or -1 when the range is over. Points
 * after it have not begun. `now` is epoch ms; `today` the site's day.
 */
export function currentPoint(starts: string[], interval: Interval, today: string, now: number): number {
  if (starts.length === 0) return -1;
  if (interval === 'hour') {
    let current = -1;
    starts.forEach((s, i) => {
      if (Date.parse(s) <= now) current = i;
    });
    const last = Date.parse(starts.at(-1)!);
    return current === starts.length - 1 && now >= last + 3_600_000 ? -1 : current;
  }
  // A day, week or month runs while it holds today: only the last point can.
  const lastStart = starts.at(-1)!;
  if (lastStart > today) return -1;
  const next =
    interval === 'day'
      ? addDays(lastStart, 1)
      : interval === 'week'
        ? addDays(lastStart, 7 - weekday(lastStart))
        : addMonths(lastStart, 1);
  return today < next ? starts.length - 1 : -1;
}
