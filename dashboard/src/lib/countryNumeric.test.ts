import { describe, expect, it } from 'vitest';
import { alpha2FromNumeric, NUMERIC_TO_ALPHA2 } from './countryNumeric';

describe('alpha2FromNumeric', () => {
  it('maps ISO 3166-1 numeric codes to alpha-2', () => {
    expect(alpha2FromNumeric(276)).toBe('DE');
    expect(alpha2FromNumeric('840')).toBe('US');
    expect(alpha2FromNumeric('356')).toBe('IN');
    expect(alpha2FromNumeric(250)).toBe('FR');
    expect(alpha2FromNumeric('076')).toBe('BR');
    expect(alpha2FromNumeric(36)).toBe('AU');
    expect(alpha2FromNumeric('4')).toBe('AF');
  });

  it('answers null for what is not a known numeric code', () => {
    for (const value of [null, undefined, '', 'DE', '1234', '-276', 0, '999', 2.5]) {
      expect(alpha2FromNumeric(value)).toBeNull();
    }
  });

  it('is a one-to-one table of three-digit keys and two-letter codes', () => {
    const entries = Object.entries(NUMERIC_TO_ALPHA2);
    expect(entries.length).toBeGreaterThan(240);
    for (const [numeric, alpha2] of entries) {
      expect(numeric).toMatch(/^\d{3}$/);
      expect(alpha2).toMatch(/^[A-Z]{2}$/);
    }
    expect(new Set(entries.map(([, alpha2]) => alpha2)).size).toBe(entries.length);
  });
});
