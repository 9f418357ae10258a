import { describe, expect, it } from 'vitest';
import { siteLabel, withSiteParam } from '../site/context';
import { eventSearchParams, livePath, statsPath } from './hooks';
import { formatStep } from './reports';

describe('site-scoped URLs', () => {
  it('stats reports carry site= beside the range, extra parameters and repeated filters', () => {
    const url = new URL(
      statsPath(
        'breakdown',
        's 2',
        { from: '2024-02-01', to: '2024-02-29', filters: [{ dimension: 'browser', value: 'Firefox' }] },
        { dimension: 'os' },
      ),
      'http://x',
    );
    expect(url.pathname).toBe('/api/v1/stats/breakdown');
    expect(url.searchParams.get('site')).toBe('s 2');
    expect(url.searchParams.get('from')).toBe('2024-02-01');
    expect(url.searchParams.get('dimension')).toBe('os');
    expect(url.searchParams.getAll('filter')).toEqual(['browser:Firefox']);
  });

  it('leaves site= out when there is no site (the API answers for the first one)', () => {
    expect(statsPath('overview', null, { filters: [] })).toBe('/api/v1/stats/overview');
    expect(livePath(null)).toBe('/api/v1/events/live');
    expect(eventSearchParams({ eventName: 'signup' }, { site: null, limit: 1 }).toString()).toBe(
      'eventName=signup&limit=1',
    );
  });

  it('the explorer, export and live feed carry site=', () => {
    const params = eventSearchParams({ eventName: ' signup ', page: '' }, { site: 's2', format: 'csv' });
    expect(Object.fromEntries(params)).toEqual({ eventName: 'signup', site: 's2', format: 'csv' });
    expect(livePath('s2')).toBe('/api/v1/events/live?site=s2');
  });

  it('withSiteParam adds or replaces site= and keeps the rest of the query', () => {
    expect(withSiteParam('/setup', 's2')).toBe('/setup?site=s2');
    expect(withSiteParam('/?period=7d&site=old', 's2')).toBe('/?period=7d&site=s2');
    expect(withSiteParam('/events', null)).toBe('/events');
  });

  it('siteLabel names the domain when there is one', () => {
    expect(siteLabel({ name: 'Shop', domain: 'shop.example.com' })).toBe('Shop (shop.example.com)');
    expect(siteLabel({ name: 'Blog', domain: null })).toBe('Blog');
  });

  it('a funnel report repeats step= in order beside the window', () => {
    const steps = [
      { kind: 'page' as const, match: '/' },
      { kind: 'event' as const, match: 'sign:up' },
    ];
    const url = new URL(
      statsPath('funnel', 's1', { filters: [] }, { step: steps.map(formatStep), window: '7d' }),
      'http://x',
    );
    expect(url.searchParams.getAll('step')).toEqual(['page:/', 'event:sign:up']);
    expect(url.searchParams.get('window')).toBe('7d');
  });
});
