import type { Cohort, RetentionUnit } from '../api/types';

export const UNITS: { value: RetentionUnit; label: string }[] = [
  { value: 'day', label: 'Days' },
  { value: 'week', label: 'Weeks' },
  { value: 'month', label: 'Months' },
];

const UNIT_NAME: Record<RetentionUnit, string> = { day: 'Day', week: 'Week', month: 'Month' };

/** "Day 0", "Week 3". */
export function offsetLabel(unit: RetentionUnit, offset: number): string {
  return `${UNIT_NAME[unit]} ${offset}`;
}

/** How many offset columns the table needs: the longest cohort's. */
export function columnCount(cohorts: Cohort[]): number {
  return cohorts.reduce((n, c) => Math.max(n, c.retained.length), 0);
}

/** `retained` of the cohort as a percentage of its size (null for an empty cohort). */
export function retainedPercent(cohort: Cohort, offset: number): number | null {
  const n = cohort.retained[offset];
  if (n === undefined || cohort.size <= 0) return null;
  return Math.min(100, Math.max(0, (n / cohort.size) * 100));
}

type Rgb = [number, number, number];

function hex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function parse(color: string): Rgb {
  const v = color.replace('#', '');
  return [0, 2, 4].map((i) => Number.parseInt(v.slice(i, i + 2), 16)) as Rgb;
}

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance. */
export function luminance(color: string): number {
  const [r, g, b] = parse(color).map(channel) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The theme's page colour, the shade's full colour, how far towards it 100% goes, and the text:
 * chosen so that the number written in a cell keeps at least 4.5:1 (WCAG AA) at every percentage.
 */
const SHADES = {
  light: { base: '#ffffff', ink: '#1971c2', reach: 0.6, text: '#000000' },
  dark: { base: '#242424', ink: '#1971c2', reach: 0.7, text: '#ffffff' },
} as const;

/** A cell's background for `percent` (0–100) and its text colour, in the light or the dark theme. */
export function cellColors(percent: number | null, scheme: 'light' | 'dark'): { background: string; color: string } {
  const { base, ink, reach, text } = SHADES[scheme];
  const f = percent === null ? 0 : (Math.max(0, Math.min(100, percent)) / 100) * reach;
  const [b, i] = [parse(base), parse(ink)];
  const mixed = b.map((c, k) => c + (i[k]! - c) * f) as Rgb;
  return { background: hex(mixed), color: text };
}
