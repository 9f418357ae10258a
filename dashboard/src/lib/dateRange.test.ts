import { describe, expect, it } from 'vitest';
import {
  addDays,
  canonicalRange,
  daysBetween,
  includesToday,
  isIsoDay,
  MAX_RANGE_DAYS,
  PRESETS,
  previousPeriod,
  previousYear,
  rangeProblem,
  shiftRange,
  parseRange,
  rangeLabel,
  resolveRange,
  todayIn,
  writeRange,
  type DateRange,
  type PresetId,
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
  const preset = (p: PresetId): DateRange => ({ kind: 'preset', preset: p });

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
    expect(rangeLabel({ kind: 'custom', from: '2024-02-01', to: '2024-02-28' })).toBe('Feb 1 – Feb 28, 2024');
    expect(rangeLabel({ kind: 'custom', from: '2024-02-01', to: '2024-02-29' })).toBe('February 2024');
    expect(rangeLabel({ kind: 'custom', from: '2023-01-01', to: '2023-12-31' })).toBe('2023');
    expect(rangeLabel({ kind: 'custom', from: '2023-12-30', to: '2024-01-02' })).toBe('Dec 30, 2023 – Jan 2, 2024');
    expect(rangeLabel({ kind: 'custom', from: '2024-02-01', to: '2024-02-01' })).toBe('Feb 1, 2024');
  });
});

describe('more presets', () => {
  const preset = (p: PresetId): DateRange => ({ kind: 'preset', preset: p });

  it('resolve yesterday, last month, 90 days, 12 months and year to date', () => {
    const today = '2024-03-01';
    expect(resolveRange(preset('yesterday'), today)).toEqual({ from: '2024-02-29', to: '2024-02-29' });
    expect(resolveRange(preset('lastMonth'), today)).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(resolveRange(preset('lastMonth'), '2024-01-15')).toEqual({ from: '2023-12-01', to: '2023-12-31' });
    expect(resolveRange(preset('90d'), today)).toEqual({ from: '2023-12-03', to: '2024-03-01' });
    expect(resolveRange(preset('12mo'), today)).toEqual({ from: '2023-04-01', to: '2024-03-01' });
    expect(resolveRange(preset('ytd'), today)).toEqual({ from: '2024-01-01', to: '2024-03-01' });
  });

  it('all time starts on the first day, never later than today nor over ten years back', () => {
    const today = '2024-03-01';
    expect(resolveRange(preset('all'), today, '2023-11-20')).toEqual({ from: '2023-11-20', to: today });
    expect(resolveRange(preset('all'), today, null)).toEqual({ from: today, to: today });
    expect(resolveRange(preset('all'), today, '2024-03-05')).toEqual({ from: today, to: today });
    expect(resolveRange(preset('all'), today, '1990-01-01')).toEqual({ from: '2014-02-23', to: today });
    expect(rangeProblem(resolveRange(preset('all'), today, '1990-01-01'))).toBeNull();
    expect(shiftRange(preset('all'), today, -1)).toBeNull();
    expect(canonicalRange({ from: today, to: today }, today)).toEqual(preset('today'));
  });

  it('every preset fits in the API limit of ten years, whatever today is', () => {
    for (const today of ['2024-01-01', '2024-02-29', '2024-12-31', '2023-07-31']) {
      for (const p of PRESETS) {
        const r = resolveRange(preset(p.id), today);
        expect(r.from <= r.to).toBe(true);
        expect(r.to <= today).toBe(true);
        expect(daysBetween(r.from, r.to)).toBeLessThanOrEqual(MAX_RANGE_DAYS);
        expect(rangeProblem(r)).toBeNull();
      }
    }
  });

  it('round-trip through the URL, and keep old links working', () => {
    for (const p of PRESETS) {
      expect(parseRange(params(writeRange(params(''), preset(p.id)).toString()))).toEqual(preset(p.id));
    }
    expect(parseRange(params('period=month'))).toEqual(preset('month'));
  });

  it('refuse ranges over ten years', () => {
    expect(rangeProblem({ from: '2014-01-01', to: '2024-01-08' })).toBeNull(); // 3,660 days
    expect(rangeProblem({ from: '2014-01-01', to: '2024-01-09' })).toBe(
      'Pick a range of at most ten years (3,660 days; this one has 3,661).',
    );
  });

  it('the same period last year', () => {
    expect(previousYear({ from: '2024-03-01', to: '2024-03-07' })).toEqual({ from: '2023-03-01', to: '2023-03-07' });
    expect(previousYear({ from: '2024-02-01', to: '2024-02-29' })).toEqual({ from: '2023-02-01', to: '2023-02-28' });
  });

  it('the previous period has as many days, just before', () => {
    expect(previousPeriod({ from: '2024-03-01', to: '2024-03-07' })).toEqual({ from: '2024-02-23', to: '2024-02-29' });
    expect(previousPeriod({ from: '2024-03-01', to: '2024-03-01' })).toEqual({ from: '2024-02-29', to: '2024-02-29' });
  });
});

describe('previous / next', () => {
  const today = '2024-03-15';
  const preset = (p: PresetId): DateRange => ({ kind: 'preset', preset: p });
  const custom = (from: string, to: string): DateRange => ({ kind: 'custom', from, to });

  it('steps back a day from today, and forward again to the presets', () => {
    const yesterday = shiftRange(preset('today'), today, -1);
    expect(yesterday).toEqual(preset('yesterday'));
    const before = shiftRange(yesterday!, today, -1);
    expect(before).toEqual(custom('2024-03-13', '2024-03-13'));
    expect(shiftRange(before!, today, 1)).toEqual(preset('yesterday'));
    expect(shiftRange(preset('yesterday'), today, 1)).toEqual(preset('today'));
    expect(shiftRange(preset('today'), today, 1)).toBeNull();
  });

  it('moves rolling windows by their length', () => {
    expect(shiftRange(preset('7d'), today, -1)).toEqual(custom('2024-03-02', '2024-03-08'));
    expect(shiftRange(custom('2024-03-02', '2024-03-08'), today, 1)).toEqual(preset('7d'));
    expect(shiftRange(preset('30d'), today, -1)).toEqual(custom('2024-01-16', '2024-02-14'));
    expect(shiftRange(preset('7d'), today, 1)).toBeNull();
    // On the last day of a 30-day month, the last 30 days are that month: still 30 days back.
    expect(shiftRange(preset('30d'), '2026-11-30', -1)).toEqual(custom('2026-10-02', '2026-10-31'));
  });

  it('moves months by whole months', () => {
    expect(shiftRange(preset('month'), today, -1)).toEqual(preset('lastMonth'));
    expect(shiftRange(preset('lastMonth'), today, -1)).toEqual(custom('2024-01-01', '2024-01-31'));
    expect(shiftRange(custom('2024-01-01', '2024-01-31'), today, -1)).toEqual(custom('2023-12-01', '2023-12-31'));
    expect(shiftRange(preset('lastMonth'), today, 1)).toEqual(preset('month'));
    expect(shiftRange(custom('2023-12-01', '2024-02-29'), today, 1)).toEqual(preset('month'));
    expect(shiftRange(custom('2023-11-01', '2024-01-31'), today, -1)).toEqual(custom('2023-08-01', '2023-10-31'));
  });

  it('moves years to date and 12 months by a year', () => {
    expect(shiftRange(preset('ytd'), today, -1)).toEqual(custom('2023-01-01', '2023-12-31'));
    expect(shiftRange(custom('2023-01-01', '2023-12-31'), today, 1)).toEqual(preset('ytd'));
    expect(shiftRange(preset('12mo'), today, -1)).toEqual(custom('2022-04-01', '2023-03-31'));
    expect(shiftRange(custom('2022-04-01', '2023-03-31'), today, 1)).toEqual(preset('12mo'));
  });

  it('knows whether a period includes today', () => {
    expect(includesToday(preset('30d'), today)).toBe(true);
    expect(includesToday(preset('lastMonth'), today)).toBe(false);
  });
});
