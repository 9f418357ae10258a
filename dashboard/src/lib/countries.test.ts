import { describe, expect, it } from 'vitest';
import { countryCode, countryFlag, countryName, UNKNOWN_COUNTRY } from './countries';

describe('countries', () => {
  it('names a country in the given language, English when that one is unknown', () => {
    expect(countryName('DE', 'en')).toBe('Germany');
    expect(countryName('de', 'en-US')).toBe('Germany');
    expect(countryName('DE', 'fr')).toBe('Allemagne');
    expect(countryName('US', 'not a locale!')).toBe('United States');
  });

  it('reads what names no country as "Unknown"', () => {
    for (const value of [null, undefined, '', ' ', 'ZZ', 'XX', 'EU', 'AP', 'T1', '--', 'USA', 'Unknown']) {
      expect(countryCode(value)).toBeNull();
      expect(countryName(value, 'en')).toBe(UNKNOWN_COUNTRY);
      expect(countryFlag(value)).toBe('');
    }
  });

  it('makes the flag from the regional-indicator letters of the code', () => {
    expect(countryFlag('DE')).toBe('\u{1F1E9}\u{1F1EA}');
    expect(countryFlag('jp')).toBe('\u{1F1EF}\u{1F1F5}');
  });

  it('keeps a well-formed code no language names', () => {
    expect(countryName('QM', 'en')).toBe('QM');
  });
});
