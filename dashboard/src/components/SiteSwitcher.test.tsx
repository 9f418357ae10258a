import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentLocation, mockApi, ok, renderApp, sitesApi, testUser } from '../test/render';

const overviewOf: Record<string, number> = { s1: 11, s2: 22 };

/** Sites, and a summary whose events are the site's own number. */
function api(seen: URL[]) {
  const sites = sitesApi();
  mockApi((url, init) => {
    seen.push(url);
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    if (url.pathname === '/api/v1/stats/summary') {
      const n = overviewOf[url.searchParams.get('site') ?? ''] ?? -1;
      const values = {
        visitors: 1,
        sessions: 1,
        pageviews: 1,
        events: n,
        bounceRate: 0,
        avgSessionDuration: 0,
        viewsPerSession: 1,
      };
      return ok({ ...values, previous: null });
    }
    return sites.handler(url, init);
  });
  return sites;
}

const eventsToday = () =>
  screen.queryByTestId('summary-events')?.querySelector('[data-testid=value]')?.getAttribute('title') ?? undefined;

describe('SiteSwitcher', () => {
  it('shows the current site, lists every site and switches every report to the chosen one', async () => {
    const seen: URL[] = [];
    api(seen);
    renderApp('/?period=7d&filter=browser:Firefox');
    const button = await screen.findByRole('button', { name: 'Switch site, current: Ada Lovelace' });
    // "No domain yet" stays in the menu: the button's visible text is all in its name (WCAG 2.5.3).
    expect(button.textContent).toBe('Ada Lovelace');
    await waitFor(() => expect(eventsToday()).toBe('11'));
    // No site in the URL: the first site, and every stats call says so.
    const stats = seen.filter((u) => u.pathname.startsWith('/api/v1/stats/'));
    expect(stats.length).toBeGreaterThan(5);
    expect(new Set(stats.map((u) => u.searchParams.get('site')))).toEqual(new Set(['s1']));
    expect(screen.getByRole('link', { name: 'Events' }).getAttribute('href')).toBe('/events');

    fireEvent.click(button);
    const menu = await screen.findByRole('menu');
    const items = await within(menu).findAllByRole('menuitemradio');
    expect(items.map((i) => i.getAttribute('aria-label'))).toEqual([
      'Ada Lovelace, No domain yet',
      'Shop, shop.example.com',
    ]);
    expect(items.map((i) => i.getAttribute('aria-checked'))).toEqual(['true', 'false']);
    expect(within(menu).getByRole('menuitem', { name: 'Add / manage sites' })).toBeTruthy();

    const before = seen.length;
    fireEvent.click(items[1]!);
    await waitFor(() => expect(currentLocation.path).toBe('/?period=7d&site=s2'));
    expect(await screen.findByRole('button', { name: 'Switch site, current: Shop, shop.example.com' })).toBeTruthy();
    await waitFor(() => expect(eventsToday()).toBe('22'));
    const after = seen.slice(before).filter((u) => u.pathname.startsWith('/api/v1/stats/'));
    expect(after.length).toBeGreaterThan(5);
    expect(new Set(after.map((u) => u.searchParams.get('site')))).toEqual(new Set(['s2']));
    // The range stays; days are now counted in the site's zone.
    expect(screen.getByTestId('range-label').textContent).toBe('Last 7 days · Asia/Kolkata');
    // Navigation keeps the chosen site.
    expect(screen.getByRole('link', { name: 'Events' }).getAttribute('href')).toBe('/events?site=s2');
    fireEvent.click(screen.getByRole('link', { name: 'Setup' }));
    await waitFor(() => expect(currentLocation.path).toBe('/setup?site=s2'));
    expect((await screen.findByTestId('script-tag')).textContent).toContain('ts_shop_key');
  });

  it('a deep link opens that site; an id that is not one of the account sites falls back to the first', async () => {
    const seen: URL[] = [];
    api(seen);
    const { unmount } = renderApp('/?site=s2');
    await screen.findByRole('button', { name: /^Switch site, current: Shop/ });
    await waitFor(() => expect(eventsToday()).toBe('22'));
    expect(
      seen.filter((u) => u.pathname.startsWith('/api/v1/stats/')).every((u) => u.searchParams.get('site') === 's2'),
    ).toBe(true);
    unmount();

    seen.length = 0;
    renderApp('/events?site=someone-elses');
    await waitFor(() => expect(currentLocation.path).toBe('/events?site=s1'));
    expect(await screen.findByRole('button', { name: 'Switch site, current: Ada Lovelace' })).toBeTruthy();
    const scoped = seen.filter((u) => u.pathname.startsWith('/api/v1/events'));
    expect(scoped.length).toBeGreaterThan(0);
    expect(scoped.every((u) => u.searchParams.get('site') === 's1')).toBe(true);
  });

  it('"Add / manage sites" opens the Sites page for the current site', async () => {
    api([]);
    renderApp('/events?site=s2');
    fireEvent.click(await screen.findByRole('button', { name: /^Switch site/ }));
    fireEvent.click(await screen.findByRole('menuitem', { name: 'Add / manage sites' }));
    await waitFor(() => expect(currentLocation.path).toBe('/sites?site=s2'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Sites' })).toBeTruthy();
  });

  it('is absent on a server without sites, and the reports ask without site=', async () => {
    const seen: URL[] = [];
    mockApi((url) => {
      seen.push(url);
      return url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined;
    });
    renderApp('/');
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/stats/summary')).toBe(true));
    expect(screen.queryByRole('button', { name: /^Switch site/ })).toBeNull();
    expect(seen.filter((u) => u.pathname.startsWith('/api/v1/stats/')).every((u) => !u.searchParams.has('site'))).toBe(
      true,
    );
  });
});
