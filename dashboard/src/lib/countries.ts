/**
 * Countries as people read them: the name in the browser's language (Intl.DisplayNames, English
 * when that language has none), the flag as the two regional-indicator letters of the ISO code.
 *
 * The worker stores the ISO 3166-1 alpha-2 code of the registry that assigned the address, and an
 * empty value when it does not know (common/geo.py); codes that name no country (ZZ "unknown
 * region", XX, the registries' EU / AP and the like) read "Unknown" too.
 */

export const UNKNOWN_COUNTRY = 'Unknown';

/** Codes that are well-formed but stand for no country. */
const NOT_A_COUNTRY = new Set(['ZZ', 'XX', 'XZ', 'AA', 'QO', 'EU', 'AP', 'A1', 'A2', 'O1', 'T1', '--']);

/** The ISO code in upper case when it names a country, else null. */
export function countryCode(value: string | null | undefined): string | null {
  const code = (value ?? '').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || NOT_A_COUNTRY.has(code)) return null;
  return code;
}

const namers = new Map<string, Intl.DisplayNames | null>();

function namer(locale: string): Intl.DisplayNames | null {
  if (!namers.has(locale)) {
    let made: Intl.DisplayNames | null = null;
    try {
      made = new Intl.DisplayNames([locale, 'en'], { type: 'region', fallback: 'none' });
    } catch {
      made = null; // an invalid locale, or no Intl.DisplayNames
    }
    namers.set(locale, made);
  }
  return namers.get(locale) ?? null;
}

function browserLocale(): string {
  return (typeof navigator !== 'undefined' && navigator.language) || 'en';
}

/** "Germany" for "DE" (in `locale`, English fallback); "Unknown" for what names no country. */
export function countryName(value: string | null | undefined, locale: string = browserLocale()): string {
  const code = countryCode(value);
  if (!code) return UNKNOWN_COUNTRY;
  for (const lang of [locale, 'en']) {
    const name: string | undefined = namer(lang)?.of(code);
    if (name && name !== code) return name;
  }
  return code; // a code no locale knows: the code is the best name there is
}

/** The flag emoji of a country code ("🇩🇪" for "DE"), or "" for what names no country. */
export function countryFlag(value: string | null | undefined): string {
  const code = countryCode(value);
  if (!code) return '';
  return String.fromCodePoint(...[...code].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}
