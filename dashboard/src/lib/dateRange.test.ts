import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  isIsoDay,
  parseRange,
  rangeLabel,
  resolveRange,
  todayIn,
  writeRange,
  type DateRange,
} from './dateRange';

const params = (query: string) => new URLSearchParams(query);

describe('day arithmetic', () => {
  it('validates calendar days', () => {
    expect(isIsoDay('2024-02-29')).toBe(true);
    expect(isIsoDay('2023-02-29')).toBe(false);
    expect(isIsoDay('2024-13-01')).toBe(false);
    expect(isIsoDay('2024-1-01')).toBe(false);
    expect(isIsoDay('')).toBe(false);
    expect(isIsoDay(null)).toBe(false);
  });

  it('adds days across month and year boundaries', () => {
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2023-03-01', -1)).toBe('2023-02-28');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-31', 1)).toBe('2024-04-01');
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(30);
  });

  it('is not moved by a DST change', () => {
    // Europe switches to summer time on 2024-03-31.
    expect(addDays('2024-03-30', 1)).toBe('2024-03-31');
    expect(addDays('2024-03-31', 1)).toBe('2024-04-01');
  });

  it('finds today in the account time zone', () => {
    const instant = new Date('2024-01-31T23:30:00Z');
    expect(todayIn('UTC', instant)).toBe('2024-01-31');
    expect(todayIn('Asia/Tokyo', instant)).toBe('2024-02-01');
    expect(todayIn('America/New_York', instant)).toBe('2024-01-31');
    expect(todayIn('Not/AZone', instant)).toBe('2024-01-31');
  });
});

describe('presets', () => {
  const today = '2024-03-01';
  const preset = (p: 'today' | '7d' | '30d' | 'month'): DateRange => ({ kind: 'preset', preset: p });

  it('resolve inclusive ranges ending today', () => {
    expect(resolveRange(preset('today'), today)).toEqual({ from: '2024-03-01', to: '2024-03-01' });
    expect(resolveRange(preset('7d'), today)).toEqual({ from: '2024-02-24', to: '2024-03-01' });
    expect(resolveRange(preset('30d'), today)).toEqual({ from: '2024-02-01', to: '2024-03-01' });
  });

  it('"this month" starts on the 1st, never the day before', () => {
    expect(resolveRange(preset('month'), '2024-03-01')).toEqual({ from: '2024-03-01', to: '2024-03-01' });
    expect(resolveRange(preset('month'), '2024-02-29')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(resolveRange(preset('month'), '2025-01-31')).toEqual({ from: '2025-01-01', to: '2025-01-31' });
  });

  it('7 and 30 days hold exactly that many days', () => {
    for (const day of ['2024-01-01', '2024-03-01', '2023-03-05', '2024-12-31']) {
      const r7 = resolveRange(preset('7d'), day);
      const r30 = resolveRange(preset('30d'), day);
      expect(daysBetween(r7.from, r7.to)).toBe(7);
      expect(daysBetween(r30.from, r30.to)).toBe(30);
    }
  });

  it('custom ranges are ordered', () => {
    expect(resolveRange({ kind: 'custom', from: '2024-03-10', to: '2024-03-01' }, today)).toEqual({
      from: '2024-03-01',
      to: '2024-03-10',
    });
  });
});

describe('range in the URL', () => {
  it('round-trips every preset and a custom range', () => {
    const ranges: DateRange[] = [
      { kind: 'preset', preset: 'today' },
      { kind: 'preset', preset: '7d' },
      { kind: 'preset', preset: '30d' },
      { kind: 'preset', preset: 'month' },
      { kind: 'custom', from: '2024-01-31', to: '2024-02-29' },
    ];
    for (const range of ranges) {
      const url = writeRange(params(''), range);
      expect(parseRange(params(url.toString()))).toEqual(range);
    }
  });

  it('writes the expected parameters and keeps the others', () => {
    const base = params('filter=browser:Chrome&period=7d&filter=os:Linux');
    const custom = writeRange(base, { kind: 'custom', from: '2024-02-01', to: '2024-02-29' });
    expect(custom.get('period')).toBeNull();
    expect(custom.get('from')).toBe('2024-02-01');
    expect(custom.get('to')).toBe('2024-02-29');
    expect(custom.getAll('filter')).toEqual(['browser:Chrome', 'os:Linux']);
    const preset = writeRange(custom, { kind: 'preset', preset: 'month' });
    expect(preset.toString()).toBe('filter=browser%3AChrome&filter=os%3ALinux&period=month');
    expect(base.get('period')).toBe('7d'); // the input is not mutated
  });

  it('falls back to the default for malformed values', () => {
    expect(parseRange(params(''))).toEqual({ kind: 'preset', preset: '30d' });
    expect(parseRange(params('period=year'))).toEqual({ kind: 'preset', preset: '30d' });
    expect(parseRange(params('from=2024-02-30&to=2024-03-01&period=7d'))).toEqual({ kind: 'preset', preset: '7d' });
    expect(parseRange(params('from=2024-02-01'))).toEqual({ kind: 'preset', preset: '30d' });
  });

  it('a custom range wins over period and is ordered', () => {
    expect(parseRange(params('period=today&from=2024-03-05&to=2024-03-01'))).toEqual({
      kind: 'custom',
      from: '2024-03-01',
      to: '2024-03-05',
    });
  });

  it('labels ranges', () => {
    expect(rangeLabel({ kind: 'preset', preset: '7d' })).toBe('Last 7 days');
    expect(rangeLabel({ kind: 'custom', from: '2024-02-01', to: '2024-02-29' })).toBe('Feb 1 – Feb 29, 2024');
    expect(rangeLabel({ kind: 'custom', from: '2023-12-30', to: '2024-01-02' })).toBe('Dec 30, 2023 – Jan 2, 2024');
    expect(rangeLabel({ kind: 'custom', from: '2024-02-01', to: '2024-02-01' })).toBe('Feb 1, 2024');
  });
});
