import { describe, expect, it } from 'vitest';
import { formatDuration, formatInteger, formatNumber, formatPercent, percentChange, share } from './format';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1k'],
    [1234, '1.2k'],
    [9960, '10k'],
    [12_345, '12k'],
    [999_499, '999k'],
    [999_950, '1M'],
    [2_500_000, '2.5M'],
    [1_000_000_000, '1B'],
    [-1500, '-1.5k'],
    [Number.NaN, '–'],
  ])('%d → %s', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });

  it('formats integers with separators', () => {
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(12.6)).toBe('13');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [Number.NaN, '0s'],
    [0.4, '0s'],
    [45, '45s'],
    [59.6, '1m 00s'],
    [65, '1m 05s'],
    [3599, '59m 59s'],
    [3600, '1h 00m'],
    [3725, '1h 02m'],
    [90_000, '25h 00m'],
  ])('%d s → %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('percentChange', () => {
  it('computes increases and decreases', () => {
    expect(percentChange(125, 100)).toMatchObject({ direction: 'up', text: '+25%' });
    expect(percentChange(50, 200)).toMatchObject({ direction: 'down', text: '−75%', percent: -75 });
    expect(percentChange(103, 100)).toMatchObject({ direction: 'up', text: '+3%' });
    expect(percentChange(1045, 1000)).toMatchObject({ direction: 'up', text: '+4.5%' });
    expect(percentChange(300, 100)).toMatchObject({ text: '+200%' });
  });

  it('handles zero and missing previous values', () => {
    expect(percentChange(0, 0)).toMatchObject({ direction: 'flat', text: '0%', percent: 0 });
    // An empty previous period is not a change, and never reads "new" in red.
    expect(percentChange(5, 0)).toMatchObject({ direction: 'flat', text: '—', percent: null });
    expect(percentChange(5, undefined)).toMatchObject({ direction: 'flat', text: '–', percent: null });
    expect(percentChange(0, 10)).toMatchObject({ direction: 'down', text: '−100%' });
  });

  it('treats changes that round to zero as flat', () => {
    expect(percentChange(100.01, 100)).toMatchObject({ direction: 'flat', text: '0%' });
  });
});

describe('formatPercent', () => {
  it('keeps one decimal for small values only', () => {
    expect(formatPercent(42)).toBe('42%');
    expect(formatPercent(42.4)).toBe('42%');
    expect(formatPercent(4.5)).toBe('4.5%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(100)).toBe('100%');
  });
});

describe('share', () => {
  it('is a percentage of the total, capped, or null without a total', () => {
    expect(share(25, 200)).toBe(12.5);
    expect(share(300, 200)).toBe(100);
    expect(share(1, 0)).toBeNull();
    expect(share(1, undefined)).toBeNull();
    expect(formatPercent(share(1, 3)!)).toBe('33%');
  });
});
