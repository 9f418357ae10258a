import { describe, expect, it } from 'vitest';
import {
  allowedIntervals,
  chooseInterval,
  currentPoint,
  defaultInterval,
  parseInterval,
  pointCount,
  pointLabel,
  pointName,
  writeInterval,
} from './intervals';

describe('chart intervals', () => {
  it('default to hours for a day or two, days up to a quarter, months beyond', () => {
    expect(defaultInterval({ from: '2024-03-01', to: '2024-03-01' })).toBe('hour');
    expect(defaultInterval({ from: '2024-03-01', to: '2024-03-02' })).toBe('hour');
    expect(defaultInterval({ from: '2024-03-01', to: '2024-03-07' })).toBe('day');
    expect(defaultInterval({ from: '2024-01-01', to: '2024-03-31' })).toBe('day');
    expect(defaultInterval({ from: '2023-04-01', to: '2024-03-31' })).toBe('month');
  });

  it('count points as the API cuts them: Monday weeks and calendar months, clipped', () => {
    const range = { from: '2026-11-05', to: '2026-11-20' }; // Thursday .. Friday
    expect(pointCount(range, 'week')).toBe(3);
    expect(pointCount(range, 'day')).toBe(16);
    expect(pointCount({ from: '2026-01-15', to: '2026-03-02' }, 'month')).toBe(3);
    expect(pointCount({ from: '2026-11-09', to: '2026-11-15' }, 'week')).toBe(1);
  });

  it('allow hours up to 7 days and at most 366 points', () => {
    expect(allowedIntervals({ from: '2024-03-01', to: '2024-03-07' })).toEqual(['hour', 'day', 'week', 'month']);
    expect(allowedIntervals({ from: '2024-03-01', to: '2024-03-08' })).toEqual(['day', 'week', 'month']);
    expect(allowedIntervals({ from: '2018-01-01', to: '2024-03-08' })).toEqual(['week', 'month']);
    expect(allowedIntervals({ from: '2014-03-01', to: '2024-03-08' })).toEqual(['month']);
  });

  it('keep the asked interval only where the range allows it', () => {
    const year = { from: '2023-04-01', to: '2024-03-31' };
    expect(chooseInterval('week', year)).toBe('week');
    expect(chooseInterval('hour', year)).toBe('month');
    expect(chooseInterval(null, year)).toBe('month');
  });

  it('round-trip through the URL', () => {
    const params = writeInterval(new URLSearchParams('period=7d'), 'hour');
    expect(params.toString()).toBe('period=7d&interval=hour');
    expect(parseInterval(params)).toBe('hour');
    expect(parseInterval(new URLSearchParams('interval=minute'))).toBeNull();
    expect(writeInterval(params, null).toString()).toBe('period=7d');
  });

  it('name points for the axis and for people, the repeated hour with its offset', () => {
    expect(pointLabel('2026-11-01T01:00-05:00', 'hour')).toBe('01:00');
    expect(pointName('2026-11-01T01:00-05:00', 'hour')).toBe('Nov 1, 2026, 01:00 (UTC−05:00)');
    expect(pointName('2026-11-01T01:00+05:30', 'hour')).toBe('Nov 1, 2026, 01:00 (UTC+05:30)');
    expect(pointLabel('2026-11-01', 'month')).toBe('Nov 2026');
    expect(pointName('2026-11-02', 'week')).toBe('Week of Nov 2, 2026');
    expect(pointName('2026-11-01', 'month')).toBe('November 2026');
  });

  it('find the point still running: the hour holding now, the day, week or month holding today', () => {
    const hours = Array.from({ length: 24 }, (_, h) => `2026-11-10T${String(h).padStart(2, '0')}:00+00:00`);
    expect(currentPoint(hours, 'hour', '2026-11-10', Date.parse('2026-11-10T13:20:00Z'))).toBe(13);
    expect(currentPoint(hours, 'hour', '2026-11-11', Date.parse('2026-11-11T00:20:00Z'))).toBe(-1);
    expect(currentPoint(['2026-11-05', '2026-11-09'], 'week', '2026-11-15', 0)).toBe(1);
    expect(currentPoint(['2026-11-05', '2026-11-09'], 'week', '2026-11-16', 0)).toBe(-1);
    expect(currentPoint(['2026-10-01', '2026-11-01'], 'month', '2026-11-30', 0)).toBe(1);
    expect(currentPoint(['2026-11-29', '2026-11-30'], 'day', '2026-11-30', 0)).toBe(1);
    expect(currentPoint(['2026-11-28', '2026-11-29'], 'day', '2026-11-30', 0)).toBe(-1);
  });
});
