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
    // The first test also loads the chart library.
    await waitFor(() => expect(screen.queryAllByTestId('loading')).toHaveLength(0), { timeout: 5000 });
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

  it('shows countries by name with their flag, the code in the title, and filters by the code', async () => {
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/breakdown' && url.searchParams.get('dimension') === 'country') {
        return ok([
          { value: 'DE', count: 80, visitors: 40 },
          { value: '', count: 20, visitors: 10 },
          { value: 'ZZ', count: 5, visitors: 5 },
        ]);
      }
      return statsApi([])(url);
    });
    renderApp('/?period=30d');
    const table = await screen.findByTestId('breakdown-country');
    const germany = await within(table).findByRole('button', { name: 'Filter by Country Germany' });
    const label = germany.querySelector('[title]')!;
    expect(label.getAttribute('title')).toBe('Germany (DE)');
    expect(label.textContent).toBe('\u{1F1E9}\u{1F1EA} Germany');
    expect(label.querySelector('[aria-hidden="true"]')!.textContent).toBe('\u{1F1E9}\u{1F1EA} ');
    // No country: "Unknown", not a bare code; the empty value cannot be filtered on.
    const rows = within(table).getAllByRole('row');
    expect(rows[2]!.textContent).toContain('Unknown');
    expect(within(rows[2]!).queryByRole('button')).toBeNull();
    expect(within(rows[3]!).getByRole('button').getAttribute('aria-label')).toBe('Filter by Country Unknown');

    fireEvent.click(germany);
    await waitFor(() => expect(currentLocation.path).toContain('filter=country%3ADE'));
    const chip = await screen.findByRole('button', { name: 'Remove filter Country is Germany' });
    expect(chip).toBeTruthy();
    expect(screen.getByTestId('filter-chips').textContent).toContain('Country is Germany');
    expect(screen.getByTitle('Country is Germany (DE)')).toBeTruthy();
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

const series = (from: string, n: number, value: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => {
    const start = new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
    const v = value(i);
    return {
      start,
      visitors: v,
      sessions: v,
      pageviews: v * 2,
      events: v * 3,
      bounceRate: 10 * v,
      avgSessionDuration: 60,
      viewsPerSession: 2,
    };
  });

describe('DashboardPage, second pass', () => {
  it('opens a site without events on the first-run view and shows the dashboard once one arrives', async () => {
    let lifetime = 0;
    const seen: URL[] = [];
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/overview') {
        seen.push(url);
        return ok({
          eventsRecorded: { today: lifetime, thisMonth: lifetime, lifetime },
          activeUsers: { today: 0, thisMonth: 0 },
        });
      }
      return statsApi(seen, { summary })(url);
    });
    renderApp('/?period=7d');
    expect(await screen.findByRole('heading', { name: 'Waiting for the first event', level: 2 })).toBeTruthy();
    expect(screen.getByTestId('script-tag').textContent).toBe(
      `<script defer src="${window.location.origin}/sdk.js" data-api-key="ts_test_key"></script>`,
    );
    expect(screen.queryByTestId('summary-cards')).toBeNull();
    expect(screen.queryAllByTestId('empty-state')).toHaveLength(0);
    expect(seen.some((u) => u.pathname === '/api/v1/stats/summary')).toBe(false);

    lifetime = 1;
    // Polled every 3 seconds: the dashboard appears by itself.
    expect(await screen.findByTestId('summary-cards', {}, { timeout: 6000 })).toBeTruthy();
    expect(screen.queryByTestId('first-run')).toBeNull();
  }, 10_000);

  it('moves the period with the arrows and the keyboard shortcuts, not while typing', async () => {
    mockApi(statsApi([]));
    renderApp('/?period=today');
    const previous = await screen.findByRole('button', { name: 'Previous period' });
    expect((screen.getByRole('button', { name: 'Next period' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(previous);
    await waitFor(() => expect(currentLocation.path).toBe('/?period=yesterday'));
    fireEvent.click(screen.getByRole('button', { name: 'Next period' }));
    await waitFor(() => expect(currentLocation.path).toBe('/?period=today'));

    fireEvent.keyDown(document.body, { key: 'w' });
    await waitFor(() => expect(currentLocation.path).toBe('/?period=7d'));
    fireEvent.keyDown(document.body, { key: 'y' });
    await waitFor(() => expect(currentLocation.path).toBe('/?period=12mo'));
    fireEvent.keyDown(document.body, { key: 'm' });
    await waitFor(() => expect(currentLocation.path).toBe('/?period=month'));
    fireEvent.keyDown(document.body, { key: 'ArrowLeft' });
    await waitFor(() => expect(currentLocation.path).toBe('/?period=lastMonth'));
    expect(screen.getByTestId('range-label').textContent).toContain('Last month');

    const combobox = screen.getByLabelText('Period', { selector: 'input' });
    fireEvent.keyDown(combobox, { key: 'd' });
    fireEvent.keyDown(document.body, { key: 'd', ctrlKey: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(currentLocation.path).toBe('/?period=lastMonth');
  });

  it('says once, at the picker, that a range is over ten years and asks for no report', async () => {
    const seen: URL[] = [];
    mockApi(statsApi(seen, { summary }));
    renderApp('/?from=2010-01-01&to=2024-06-30');
    expect((await screen.findByTestId('range-problem')).textContent).toBe(
      'Pick a range of at most ten years (3,660 days; this one has 5,295).',
    );
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(screen.queryAllByTestId('error-state')).toHaveLength(0);
    expect((screen.getByRole('button', { name: 'Apply custom range' }) as HTMLButtonElement).disabled).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const reports = ['summary', 'timeseries', 'events', 'pages', 'breakdown'];
    expect(seen.filter((u) => reports.some((r) => u.pathname.endsWith(`/stats/${r}`)))).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2024-01-01' } });
    expect(screen.queryByTestId('range-problem')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Apply custom range' }));
    await waitFor(() => expect(currentLocation.path).toBe('/?from=2024-01-01&to=2024-06-30'));
    await waitFor(() => expect(seen.some((u) => u.pathname === '/api/v1/stats/summary')).toBe(true));
  });

  it('charts the clicked card and compares with the previous period', async () => {
    const seen: URL[] = [];
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/timeseries') {
        seen.push(url);
        const from = url.searchParams.get('from')!;
        const previous = from < '2024-03-01';
        return ok(series(from, 7, (i) => (previous ? 1 : i + 1)));
      }
      return statsApi([], { summary })(url);
    });
    renderApp('/?from=2024-03-01&to=2024-03-07');
    const chart = await screen.findByTestId('chart');
    expect(within(chart).getByRole('heading', { name: 'Visitors per day', level: 2 })).toBeTruthy();
    const plot = await within(chart).findByRole('img');
    expect(plot.getAttribute('aria-label')).toBe('Visitors per day, Mar 1 – Mar 7, 2024: at most 7 (Mar 7, 2024).');
    const table = within(chart).getByRole('table', { name: 'Visitors per day' });
    expect(within(table).getAllByRole('row')).toHaveLength(8);
    expect(seen[0]!.searchParams.get('interval')).toBe('day');

    const card = within(screen.getByTestId('summary-pageviews')).getByRole('button');
    expect(card.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(card);
    await waitFor(() => expect(currentLocation.path).toContain('metric=pageviews'));
    expect(within(chart).getByRole('heading', { name: 'Page views per day' })).toBeTruthy();
    await waitFor(() => expect(within(chart).getByRole('img').getAttribute('aria-label')).toContain('56 in total'));

    // Ratios chart too, in their own units.
    fireEvent.click(within(screen.getByTestId('summary-bounceRate')).getByRole('button'));
    await waitFor(() => expect(currentLocation.path).toContain('metric=bounceRate'));
    expect(within(chart).getByRole('heading', { name: 'Bounce rate per day' })).toBeTruthy();
    expect(within(chart).getByRole('img').getAttribute('aria-label')).toContain('at most 70% (Mar 7, 2024)');
    fireEvent.click(within(screen.getByTestId('summary-pageviews')).getByRole('button'));
    await waitFor(() => expect(currentLocation.path).toContain('metric=pageviews'));

    // Without Compare the previous period is not asked for.
    expect(seen.every((u) => u.searchParams.get('from') === '2024-03-01')).toBe(true);
    fireEvent.click(within(chart).getByRole('switch', { name: 'Compare' }));
    await waitFor(() => expect(currentLocation.path).toContain('compare=previous'));
    await waitFor(() =>
      expect(
        seen.some((u) => u.searchParams.get('from') === '2024-02-23' && u.searchParams.get('to') === '2024-02-29'),
      ).toBe(true),
    );
    await waitFor(() =>
      expect(within(chart).getByRole('img').getAttribute('aria-label')).toContain('previous period: 14'),
    );

    // The same days a year earlier: one more call, shifted by a year.
    fireEvent.click(within(chart).getByRole('radio', { name: 'Same period last year' }));
    await waitFor(() => expect(currentLocation.path).toContain('compare=year'));
    await waitFor(() =>
      expect(
        seen.some((u) => u.searchParams.get('from') === '2023-03-01' && u.searchParams.get('to') === '2023-03-07'),
      ).toBe(true),
    );
    await waitFor(() =>
      expect(within(chart).getByRole('img').getAttribute('aria-label')).toContain('same period last year: 14'),
    );
    fireEvent.click(within(chart).getByRole('switch', { name: 'Compare' }));
    await waitFor(() => expect(currentLocation.path).not.toContain('compare='));
  });

  it('follows the period with the interval, and keeps a chosen one the period allows', async () => {
    const seen: URL[] = [];
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/timeseries') seen.push(url);
      return statsApi([], { summary, timeseries: series('2024-03-01', 2, () => 1) })(url);
    });
    renderApp('/?period=12mo');
    const chart = await screen.findByTestId('chart');
    await waitFor(() => expect(seen.at(-1)?.searchParams.get('interval')).toBe('month'));
    const hour = within(chart).getByRole('radio', { name: 'Hour' }) as HTMLInputElement;
    expect(hour.disabled).toBe(true);
    fireEvent.click(within(chart).getByRole('radio', { name: 'Week' }));
    await waitFor(() => expect(currentLocation.path).toContain('interval=week'));
    await waitFor(() => expect(seen.at(-1)?.searchParams.get('interval')).toBe('week'));
    expect(within(chart).getByRole('heading', { name: 'Visitors per week' })).toBeTruthy();

    // Another period starts on its own default: hours for today.
    fireEvent.keyDown(document.body, { key: 'd' });
    await waitFor(() => expect(currentLocation.path).toBe('/?period=today'));
    await waitFor(() => expect(seen.at(-1)?.searchParams.get('interval')).toBe('hour'));
    expect(within(chart).getByRole('heading', { name: 'Visitors per hour' })).toBeTruthy();
  });

  it('starts All time on the first counted day and has nothing before it', async () => {
    const seen: URL[] = [];
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/overview') {
        return ok({
          eventsRecorded: { today: 1, thisMonth: 1, lifetime: 9 },
          activeUsers: { today: 1, thisMonth: 1 },
          firstDay: '2024-01-15',
        });
      }
      return statsApi(seen, { summary })(url);
    });
    renderApp('/?period=all');
    await waitFor(() =>
      expect(seen.some((u) => u.pathname.endsWith('/summary') && u.searchParams.get('from') === '2024-01-15')).toBe(
        true,
      ),
    );
    expect(screen.getByTestId('range-label').textContent).toContain('All time');
    expect((screen.getByRole('button', { name: 'Previous period' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows each row’s share of the period total, saying of what', async () => {
    mockApi(
      statsApi([], {
        summary,
        pages: [
          { page: '/a', count: 3000, users: 10, sessions: 10 },
          { page: '/b', count: 1000, users: 5, sessions: 5 },
        ],
        breakdown: [{ value: 'Chrome', count: 750, visitors: 600 }],
      }),
    );
    renderApp('/?period=7d');
    const pages = await screen.findByTestId('pages-table');
    await waitFor(() =>
      expect(
        within(pages)
          .getAllByTestId('share')
          .map((c) => c.textContent),
      ).toEqual(['75%', '25%']),
    );
    expect(pages.querySelector('abbr')?.getAttribute('title')).toBe('Share of all 4k page views in the period');
    const browsers = await screen.findByTestId('breakdown-referrerDomain');
    expect(within(browsers).getByTestId('share').textContent).toBe('50%'); // 750 of 1,500 visits
    expect(browsers.querySelector('abbr')?.getAttribute('title')).toBe('Share of all 1.5k visits in the period');
  });

  it('an empty previous period shows a neutral dash, not "new"', async () => {
    const empty = {
      visitors: 0,
      sessions: 0,
      pageviews: 0,
      events: 0,
      bounceRate: 0,
      avgSessionDuration: 0,
      viewsPerSession: 0,
    };
    mockApi(statsApi([], { summary: { ...summary, previous: empty } }));
    renderApp('/?period=7d');
    const badge = within(await screen.findByTestId('summary-visitors')).getByTestId('change');
    expect(badge.textContent).toBe('—');
    expect(badge.getAttribute('data-variant')).toBe('light');
    expect(screen.queryByText('new')).toBeNull();
  });

  it('keeps the old figures dimmed and busy while a new period loads', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    mockApi((url) => {
      if (url.pathname === '/api/v1/stats/summary' && url.searchParams.get('from') !== null) {
        const today = new Date().toISOString().slice(0, 10);
        if (url.searchParams.get('from') !== today) return ok(summary);
        return slow.then(() => ok({ ...summary, visitors: 7 }));
      }
      return statsApi([])(url);
    });
    renderApp('/?period=7d');
    const visitors = await screen.findByTestId('summary-visitors');
    expect(visitors.textContent).toContain('1.3k');
    fireEvent.keyDown(document.body, { key: 'd' });
    await waitFor(() => expect(screen.getByTestId('range-label').textContent).toContain('Today'));
    const cards = screen.getByTestId('summary-cards');
    await waitFor(() => expect(cards.closest('[aria-busy="true"]')).not.toBeNull());
    expect(screen.getByTestId('summary-visitors').textContent).toContain('1.3k');
    expect(screen.getAllByTestId('updating').length).toBeGreaterThan(0);
    release();
    await waitFor(() => expect(screen.getByTestId('summary-visitors').textContent).toContain('7'));
    expect(screen.getByTestId('summary-cards').closest('[aria-busy="true"]')).toBeNull();
  });
});

describe('DashboardPage focus', () => {
  it('moves focus to the next chip, then to the heading, when chips are removed', async () => {
    mockApi(statsApi([]));
    renderApp('/?period=7d&filter=browser:Firefox&filter=os:Linux');
    const first = await screen.findByRole('button', { name: 'Remove filter Browser is Firefox' });
    first.focus();
    fireEvent.click(first);
    await waitFor(() => expect(currentLocation.path).not.toContain('Firefox'));
    const second = screen.getByRole('button', { name: 'Remove filter OS is Linux' });
    await waitFor(() => expect(document.activeElement).toBe(second));
    fireEvent.click(second);
    await waitFor(() => expect(currentLocation.path).toBe('/?period=7d'));
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1, name: 'Dashboard' })),
    );
  });
});
