import { describe, expect, it } from 'vitest';
import { cellColors, columnCount, contrast, offsetLabel, retainedPercent } from './retention';

describe('retention table helpers', () => {
  const cohorts = [
    { start: '2024-03-01', size: 4, retained: [4, 2, 1] },
    { start: '2024-03-02', size: 0, retained: [0, 0] },
    { start: '2024-03-03', size: 3, retained: [3] },
  ];

  it('has as many offset columns as the longest cohort', () => {
    expect(columnCount(cohorts)).toBe(3);
    expect(columnCount([])).toBe(0);
  });

  it('divides by the cohort size; no percentage for an empty cohort or a missing offset', () => {
    expect(retainedPercent(cohorts[0]!, 1)).toBe(50);
    expect(retainedPercent(cohorts[0]!, 2)).toBe(25);
    expect(retainedPercent(cohorts[1]!, 0)).toBeNull();
    expect(retainedPercent(cohorts[2]!, 1)).toBeNull();
  });

  it('labels offsets by unit', () => {
    expect(offsetLabel('week', 2)).toBe('Week 2');
  });

  it.each(['light', 'dark'] as const)('keeps AA contrast (4.5:1) at every shade, %s theme', (scheme) => {
    for (let pct = 0; pct <= 100; pct += 5) {
      const { background, color } = cellColors(pct, scheme);
      expect(contrast(background, color)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('shades more for a higher percentage', () => {
    expect(cellColors(0, 'light').background).toBe('#ffffff');
    expect(cellColors(80, 'light').background).not.toBe(cellColors(20, 'light').background);
  });
});
