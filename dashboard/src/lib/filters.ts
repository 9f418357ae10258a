/**
 * Filters kept in the URL as repeatable `?filter=dimension:value`. Only the first ':' separates
 * the dimension, so values (URLs, times) may contain ':' themselves.
 */

import { countryCode, countryFlag, countryName } from './countries';

export interface Filter {
  dimension: string;
  value: string;
}

export const DIMENSION_LABELS: Readonly<Record<string, string>> = {
  page: 'Page',
  entryPage: 'Entry page',
  exitPage: 'Exit page',
  referrer: 'Referrer',
  referrerDomain: 'Referrer',
  utmSource: 'UTM source',
  utmMedium: 'UTM medium',
  utmCampaign: 'UTM campaign',
  channel: 'Channel',
  browser: 'Browser',
  os: 'OS',
  device: 'Device',
  country: 'Country',
  eventName: 'Event',
};

const CONTEXT_RE = /^context\.[A-Za-z0-9_.-]{1,128}$/;

/** Dimensions whose empty value means "none" (a direct visit, an unknown country). */
const EMPTY_VALUE_DIMENSIONS = new Set(['referrer', 'referrerDomain', 'country']);

export function isDimension(dimension: string): boolean {
  return Object.hasOwn(DIMENSION_LABELS, dimension) || CONTEXT_RE.test(dimension);
}

export function dimensionLabel(dimension: string): string {
  return DIMENSION_LABELS[dimension] ?? dimension;
}

export function parseFilter(raw: string): Filter | null {
  const at = raw.indexOf(':');
  if (at <= 0) return null;
  const dimension = raw.slice(0, at);
  const value = raw.slice(at + 1);
  if (!isDimension(dimension) || (value === '' && !EMPTY_VALUE_DIMENSIONS.has(dimension))) return null;
  return { dimension, value };
}

export function formatFilter(filter: Filter): string {
  return `${filter.dimension}:${filter.value}`;
}

export function sameFilter(a: Filter, b: Filter): boolean {
  return a.dimension === b.dimension && a.value === b.value;
}

/** The valid filters of a URL, in order, without duplicates. */
export function parseFilters(params: URLSearchParams): Filter[] {
  const out: Filter[] = [];
  for (const raw of params.getAll('filter')) {
    const filter = parseFilter(raw);
    if (filter && !out.some((f) => sameFilter(f, filter))) out.push(filter);
  }
  return out;
}

function withFilters(params: URLSearchParams, filters: Filter[]): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('filter');
  for (const f of filters) next.append('filter', formatFilter(f));
  return next;
}

/**
 * Adds a filter. All filters must match at once, so a second value for the same dimension
 * replaces the first (two would match nothing).
 */
export function addFilter(params: URLSearchParams, filter: Filter): URLSearchParams {
  const kept = parseFilters(params).filter((f) => f.dimension !== filter.dimension);
  return withFilters(params, [...kept, filter]);
}

export function removeFilter(params: URLSearchParams, filter: Filter): URLSearchParams {
  return withFilters(
    params,
    parseFilters(params).filter((f) => !sameFilter(f, filter)),
  );
}

export function clearFilters(params: URLSearchParams): URLSearchParams {
  return withFilters(params, []);
}

/** The value as the dashboard shows it: a country's name rather than its ISO code. */
export function filterValueLabel(filter: Filter): string {
  if (filter.dimension === 'country') return countryName(filter.value);
  if (filter.value === '' && filter.dimension.startsWith('referrer')) return 'Direct / none';
  return filter.value;
}

/** "Country is Germany", "Page is /docs". */
export function filterLabel(filter: Filter): string {
  return `${dimensionLabel(filter.dimension)} is ${filterValueLabel(filter)}`;
}

/** The chip's tooltip: the label, with the code a name stands for ("Country is Germany (DE)"). */
export function filterTitle(filter: Filter): string {
  const label = filterLabel(filter);
  return filter.dimension === 'country' ? `${label} (${countryCode(filter.value) ?? filter.value})` : label;
}

/** What goes before the value on the chip (a country's flag), or "". */
export function filterIcon(filter: Filter): string {
  return filter.dimension === 'country' ? countryFlag(filter.value) : '';
}
