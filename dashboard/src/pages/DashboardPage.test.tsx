import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentLocation, mockApi, ok, renderApp, testUser } from '../test/render';

const summary = {
  visitors: 1250,
  sessions: 1500,
  pageviews: 4000,
  events: 5000,
  bounceRate: 40,
  avgSessionDuration: 125,
  viewsPerSession: 2.7,
  previous: {
    visitors: 1000,
    sessions: 1500,
    pageviews: 5000,
    events: 4000,
    bounceRate: 50,
    avgSessionDuration: 100,
    viewsPerSession: 3,
  },
};

function statsApi(seen: URL[], overrides: Record<string, unknown> = {}) {
  return (url: URL) => {
    seen.push(url);
    if (url.pathname === '/api/v1/users/me') return ok(testUser);
    const name = url.pathname.replace('/api/v1/stats/', '');
    if (name in overrides) return ok(overrides[name]);
    return undefined; // 404 like the gateway before the stats service exists
  };
}

describe('DashboardPage', () => {
  it('shows an error state, not a spinner, for every report the server lacks', async () => {
    const seen: URL[] = [];
    mockApi(statsApi(seen));
    renderApp('/?period=7d');
    await waitFor(() => expect(screen.queryAllByTestId('loading')).toHaveLength(0));
    expect(screen.getAllByTestId('error-state').length).toBeGreaterThanOrEqual(8);
    expect(screen.getAllByText(/Not available yet/).length).toBeGreaterThan(0);
    expect(screen.getByTestId('realtime').textContent).toContain('Realtime unavailable');
    expect(document.title).toBe('Dashboard · Tracking System');
  });

  it('shows summary cards with the change against the previous period', async () => {
    mockApi(statsApi([], { summary }));
    renderApp('/');
    const visitors = await screen.findByTestId('summary-visitors');
    expect(visitors.textContent).toContain('1.3k');
    expect(visitors.textContent).toContain('+25%');
    expect(screen.getByTestId('summary-sessions').textContent).toContain('0%');
    expect(screen.getByTestId('summary-bounceRate').textContent).toContain('40%');
    expect(screen.getByTestId('summary-bounceRate').textContent).toContain('−20%');
    expect(screen.getByTestId('summary-avgSessionDuration').textContent).toContain('2m 05s');
  });

  it('sends the range and URL filters to every stats call and shows them as chips', async () => {
    const seen: URL[] = [];
    mockApi(statsApi(seen));
    renderApp('/?from=2024-02-01&to=2024-02-29&filter=page:https://x.io/a:b&filter=browser:Firefox');
    const chips = await screen.findByTestId('filter-chips');
    expect(within(chips).getByText('Page is https://x.io/a:b')).toBeTruthy();
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/stats/summary')).toBe(true));
    const summaryCall = seen.find((u) => u.pathname === '/api/v1/stats/summary')!;
    expect(summaryCall.searchParams.get('from')).toBe('2024-02-01');
    expect(summaryCall.searchParams.get('to')).toBe('2024-02-29');
    expect(summaryCall.searchParams.getAll('filter')).toEqual(['page:https://x.io/a:b', 'browser:Firefox']);
    const overview = seen.find((u) => u.pathname === '/api/v1/stats/overview')!;
    expect(overview.searchParams.get('from')).toBeNull(); // today/this month, whatever the range

    fireEvent.click(screen.getByRole('button', { name: 'Remove filter Browser is Firefox' }));
    await waitFor(() => expect(currentLocation.path).not.toContain('Firefox'));
    expect(currentLocation.path).toContain('from=2024-02-01');
  });

  it('clicking a breakdown row adds its filter to the URL', async () => {
    const seen: URL[] = [];
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/breakdown' && url.searchParams.get('dimension') === 'browser') {
        seen.push(url);
        return ok([
          { value: 'Chrome', count: 80, visitors: 40 },
          { value: 'Firefox', count: 20, visitors: 10 },
        ]);
      }
      return statsApi([])(url);
    });
    renderApp('/?period=30d');
    fireEvent.click(await screen.findByRole('button', { name: 'Filter by Browser Firefox' }));
    await waitFor(() => expect(currentLocation.path).toContain('filter=browser%3AFirefox'));
    await waitFor(() =>
      expect(seen.some((u) => u.searchParams.getAll('filter').includes('browser:Firefox'))).toBe(true),
    );
    expect(screen.getByText('Browser is Firefox')).toBeTruthy();
  });

  it('shows the empty state for a period without data', async () => {
    mockApi(statsApi([], { events: [], pages: [] }));
    renderApp('/?period=today');
    await waitFor(() => expect(screen.getAllByTestId('empty-state')).toHaveLength(2));
    expect(screen.getAllByText('No data for this period')).toHaveLength(2);
  });

  it('switching the period writes it into the URL', async () => {
    mockApi(statsApi([]));
    renderApp('/?period=7d&filter=os:Linux');
    fireEvent.click(screen.getByLabelText('Period', { selector: 'input' }));
    fireEvent.click(await screen.findByRole('option', { name: 'This month' }));
    await waitFor(() => expect(currentLocation.path).toBe('/?filter=os%3ALinux&period=month'));
  });

  it('shows a notice when events were refused in the last hour, with a link to the Sites page', async () => {
    const seen: URL[] = [];
    mockApi(
      statsApi(seen, {
        refused: {
          lastHour: { origin: 12, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
          last24h: { origin: 30, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
        },
      }),
    );
    renderApp('/?period=7d');
    const notice = await screen.findByTestId('refused-events');
    expect(notice.textContent).toContain(
      '12 events refused in the last hour: origin not allowed — fix it on the Sites page',
    );
    expect(within(notice).getByRole('link', { name: 'Sites page' }).getAttribute('href')).toBe('/sites');
  });

  it('shows no notice when the last hour refused nothing, even if earlier hours did', async () => {
    const seen: URL[] = [];
    mockApi(
      statsApi(seen, {
        refused: {
          lastHour: { origin: 0, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
          last24h: { origin: 30, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
        },
      }),
    );
    renderApp('/?period=7d');
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/stats/refused')).toBe(true));
    await waitFor(() => expect(screen.queryAllByTestId('loading')).toHaveLength(0));
    expect(screen.queryByTestId('refused-events')).toBeNull();
  });
});
