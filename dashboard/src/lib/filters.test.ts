import { describe, expect, it } from 'vitest';
import {
  addFilter,
  clearFilters,
  filterIcon,
  filterLabel,
  filterTitle,
  formatFilter,
  parseFilter,
  parseFilters,
  removeFilter,
} from './filters';

const params = (query: string) => new URLSearchParams(query);

describe('parseFilter', () => {
  it('splits on the first colon only', () => {
    expect(parseFilter('browser:Chrome')).toEqual({ dimension: 'browser', value: 'Chrome' });
    expect(parseFilter('page:https://example.com:8080/a?b=c:d')).toEqual({
      dimension: 'page',
      value: 'https://example.com:8080/a?b=c:d',
    });
    expect(parseFilter('context.plan:pro:annual')).toEqual({ dimension: 'context.plan', value: 'pro:annual' });
  });

  it('rejects malformed and unknown filters', () => {
    expect(parseFilter('browser')).toBeNull();
    expect(parseFilter(':Chrome')).toBeNull();
    expect(parseFilter('browser:')).toBeNull();
    expect(parseFilter('password:x')).toBeNull();
    expect(parseFilter('context.:x')).toBeNull();
  });

  it('round-trips through formatFilter', () => {
    const f = { dimension: 'referrer', value: 'https://a.example/x:y' };
    expect(parseFilter(formatFilter(f))).toEqual(f);
  });
});

describe('filters in the URL', () => {
  it('parses repeated filters, skipping invalid and duplicate ones', () => {
    const url = params('filter=browser:Chrome&filter=bogus&filter=os:Linux&filter=browser:Chrome&period=7d');
    expect(parseFilters(url)).toEqual([
      { dimension: 'browser', value: 'Chrome' },
      { dimension: 'os', value: 'Linux' },
    ]);
  });

  it('adds a filter, keeping the range and other filters', () => {
    const next = addFilter(params('period=7d&filter=os:Linux'), { dimension: 'page', value: 'https://x.io/a:b' });
    expect(next.get('period')).toBe('7d');
    expect(next.getAll('filter')).toEqual(['os:Linux', 'page:https://x.io/a:b']);
    // Survives serialisation (the ':' and '/' are encoded and decoded back).
    expect(parseFilters(params(next.toString()))).toEqual([
      { dimension: 'os', value: 'Linux' },
      { dimension: 'page', value: 'https://x.io/a:b' },
    ]);
  });

  it('replaces a filter on the same dimension', () => {
    const next = addFilter(params('filter=browser:Chrome&filter=os:Linux'), { dimension: 'browser', value: 'Firefox' });
    expect(next.getAll('filter')).toEqual(['os:Linux', 'browser:Firefox']);
  });

  it('removes exactly the given filter', () => {
    const url = params('from=2024-01-01&to=2024-01-31&filter=browser:Chrome&filter=os:Linux');
    const next = removeFilter(url, { dimension: 'browser', value: 'Chrome' });
    expect(next.getAll('filter')).toEqual(['os:Linux']);
    expect(next.get('from')).toBe('2024-01-01');
    expect(removeFilter(next, { dimension: 'os', value: 'Mac' }).getAll('filter')).toEqual(['os:Linux']);
    expect(clearFilters(next).getAll('filter')).toEqual([]);
    expect(url.getAll('filter')).toHaveLength(2); // the input is not mutated
  });

  it('labels filters for chips', () => {
    expect(filterLabel({ dimension: 'utmSource', value: 'newsletter' })).toBe('UTM source is newsletter');
    expect(filterLabel({ dimension: 'context.plan', value: 'pro' })).toBe('context.plan is pro');
  });

  it('names a country filter by the country, its code in the title, with the flag', () => {
    const de = { dimension: 'country', value: 'DE' };
    expect(filterLabel(de)).toBe('Country is Germany');
    expect(filterTitle(de)).toBe('Country is Germany (DE)');
    expect(filterIcon(de)).toBe('\u{1F1E9}\u{1F1EA}');
    expect(filterLabel({ dimension: 'country', value: 'ZZ' })).toBe('Country is Unknown');
    expect(filterIcon({ dimension: 'page', value: '/' })).toBe('');
  });
});
