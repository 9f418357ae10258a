/** Display formatting of numbers, durations and changes. Deterministic (no locale surprises). */

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatInteger(n: number): string {
  return Number.isFinite(n) ? INTEGER.format(Math.round(n)) : '–';
}

const UNITS: ReadonlyArray<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function trimZero(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** 999 → "999", 1234 → "1.2k", 12_345 → "12k", 999_950 → "1M", 2_500_000 → "2.5M". */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (abs < 1000) return sign + formatInteger(abs);
  for (let i = UNITS.length - 1; i >= 0; i--) {
    const [size, suffix] = UNITS[i]!;
    const next = UNITS[i - 1];
    if (next && abs >= next[0]) continue;
    const scaled = abs / size;
    const digits = scaled < 10 ? 1 : 0;
    const rounded = Number(scaled.toFixed(digits));
    // 999.96k rounds to 1000k: show it in the next unit up instead.
    if (rounded >= 1000 && next) return sign + `1${next[1]}`;
    return sign + trimZero(rounded.toFixed(digits)) + suffix;
  }
  return sign + formatInteger(abs);
}

/** Seconds as "45s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/** `part` of `total` as a percentage (0–100, capped), or null without a total. */
export function share(part: number, total: number | null | undefined): number | null {
  if (!total || !Number.isFinite(total) || total <= 0 || !Number.isFinite(part)) return null;
  return Math.min(100, Math.max(0, (part / total) * 100));
}

/** A percentage value (0–100) as "42%" or "4.5%". */
export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) < 10 && value % 1 !== 0 ? 1 : 0;
  return `${trimZero(value.toFixed(digits))}%`;
}

export type Direction = 'up' | 'down' | 'flat';

export interface Change {
  /** Percent change, or null when there is nothing to compare with. */
  percent: number | null;
  direction: Direction;
  text: string;
}

/** Change of `current` against `previous`, e.g. {percent: 25, direction: 'up', text: '+25%'}. */
export function percentChange(current: number, previous: number | null | undefined): Change {
  if (previous === null || previous === undefined || !Number.isFinite(previous) || !Number.isFinite(current)) {
    return { percent: null, direction: 'flat', text: '–' };
  }
  if (previous === 0) {
    if (current === 0) return { percent: 0, direction: 'flat', text: '0%' };
    // Nothing to compare with (a new site, a period before the first event): no change to show.
    return { percent: null, direction: 'flat', text: '—' };
  }
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  const digits = Math.abs(percent) < 10 ? 1 : 0;
  const rounded = Number(percent.toFixed(digits));
  if (rounded === 0) return { percent: 0, direction: 'flat', text: '0%' };
  const text = `${rounded > 0 ? '+' : '−'}${trimZero(Math.abs(rounded).toFixed(digits))}%`;
  return { percent, direction: rounded > 0 ? 'up' : 'down', text };
}

/** An event time (epoch ms, or an ISO string) as local date and time. */
export function formatTimestamp(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const date = typeof value === 'number' ? new Date(value) : new Date(/^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
