import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, ok, renderApp, sitesApi, testUser } from '../test/render';
import { describeRefusals } from '../components/RefusedEventsNotice';
import { describeArrivals } from './SetupPage';

describe('SetupPage', () => {
  it('shows the script tag with the account key and reports when the first event arrives', async () => {
    let stored = false;
    let ingested: { body: string; type: string | null } | null = null;
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events/test' && init?.method === 'POST') {
        ingested = { body: String(init.body), type: new Headers(init.headers).get('Content-Type') };
        stored = true;
        return new Response(JSON.stringify({ data: { accepted: 1, rejected: [], excluded: {} }, errors: null }), {
          status: 202,
        });
      }
      if (url.pathname === '/api/v1/events') {
        const bots = url.searchParams.get('filter') === 'bot:true';
        const items =
          stored && !bots ? [{ eventName: 'TEST_EVENT', eventTime: Date.now(), page: 'http://localhost/setup' }] : [];
        return ok({ items, nextCursor: null });
      }
      return undefined;
    });
    renderApp('/setup');
    const tag = await screen.findByTestId('script-tag');
    expect(tag.textContent).toBe(
      `<script defer src="${window.location.origin}/sdk.js" data-api-key="ts_test_key"></script>`,
    );
    expect(screen.getByText("window.__trk.identify('user-123')")).toBeTruthy();
    expect((await screen.findByTestId('first-event')).getAttribute('data-state')).toBe('waiting');

    fireEvent.click(screen.getByRole('button', { name: 'Send a test event' }));
    expect((await screen.findByTestId('test-event-result')).textContent).toContain('accepted');
    const sent = ingested as unknown as { body: string; type: string | null };
    // The signed-in route: no API key in the body, the server uses the site's (and skips the
    // allowed-origins check, which the dashboard's own origin would fail).
    expect(sent.type).toBe('application/json');
    const body = JSON.parse(sent.body) as Record<string, unknown>;
    expect(body.apiKey).toBeUndefined();
    expect(body).toMatchObject({ eventName: 'TEST_EVENT', page: window.location.href });
    expect(typeof body.sessionId).toBe('string');
    expect(await screen.findByText('Events are arriving')).toBeTruthy();
    expect((await screen.findByTestId('first-event-counts')).textContent).toBe('1 received. ');
    expect(screen.queryByTestId('bot-note')).toBeNull();
  });

  it('says how many events came from a bot, and that the test event from a bot is not counted', async () => {
    const event = (bot: boolean, i: number) => ({ eventName: `E${i}`, eventTime: Date.now() - i, page: '/p', bot });
    const stored = [event(false, 0), event(true, 1), event(false, 2)];
    const checks: URL[] = [];
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events/test' && init?.method === 'POST') {
        return new Response(
          JSON.stringify({ data: { accepted: 1, rejected: [], excluded: { bot: 1 } }, errors: null }),
          {
            status: 202,
          },
        );
      }
      if (url.pathname === '/api/v1/events') {
        checks.push(url);
        const limit = Number(url.searchParams.get('limit'));
        const items = url.searchParams.get('filter') === 'bot:true' ? stored.filter((e) => e.bot) : stored;
        return ok({ items: items.slice(0, limit), nextCursor: null });
      }
      return undefined;
    });
    renderApp('/setup');
    const counts = await screen.findByTestId('first-event-counts');
    expect(counts.textContent).toBe('3 received, 1 from a bot (not counted). ');
    expect(screen.getByTestId('first-event').getAttribute('data-state')).toBe('received');
    expect(screen.getByTestId('bot-note').textContent).toContain('left out of every number');
    expect(checks.some((u) => u.searchParams.get('filter') === 'bot:true')).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Send a test event' }));
    const result = await screen.findByTestId('test-event-result');
    expect(result.textContent).toContain('accepted');
    expect(result.textContent).toContain('not counted');
    expect(result.getAttribute('data-excluded-bot')).toBe('1');
  });

  it('turns orange when every event came from a bot', async () => {
    mockApi((url) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events') {
        return ok({
          items: [{ eventName: 'PAGE_VIEW', eventTime: Date.now(), page: '/', bot: true }],
          nextCursor: null,
        });
      }
      return undefined;
    });
    renderApp('/setup');
    expect((await screen.findByTestId('first-event-counts')).textContent).toBe(
      '1 received, from a bot (not counted). ',
    );
    expect(screen.getByText('Events are arriving, but none is counted')).toBeTruthy();
  });

  it('describes arrival counts, with lower bounds past the limit', () => {
    expect(describeArrivals({ received: 3, bots: 0, more: false, botsMore: false })).toBe('3 received');
    expect(describeArrivals({ received: 3, bots: 1, more: false, botsMore: false })).toBe(
      '3 received, 1 from a bot (not counted)',
    );
    expect(describeArrivals({ received: 5, bots: 2, more: false, botsMore: false })).toBe(
      '5 received, 2 from bots (not counted)',
    );
    expect(describeArrivals({ received: 2, bots: 2, more: false, botsMore: false })).toBe(
      '2 received, all from bots (not counted)',
    );
    expect(describeArrivals({ received: 100, bots: 100, more: true, botsMore: true })).toBe(
      '100+ received, 100+ from bots (not counted)',
    );
  });

  it('says so when the events endpoint is missing instead of spinning forever', async () => {
    mockApi((url) => (url.pathname === '/api/v1/users/me' ? ok(testUser) : undefined));
    renderApp('/setup');
    await screen.findByText('Cannot check for events yet');
    expect(screen.queryByLabelText('Waiting')).toBeNull();
    expect(screen.getByTestId('first-event').getAttribute('data-state')).toBe('error');
  });

  it('shows the current site key, checks for its first event and sends the test event for that site', async () => {
    const sites = sitesApi();
    const checks: URL[] = [];
    let testedSite: string | null = null;
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events/test' && init?.method === 'POST') {
        testedSite = url.searchParams.get('site');
        return new Response(JSON.stringify({ data: { accepted: 1, rejected: [] }, errors: null }), { status: 202 });
      }
      if (url.pathname === '/api/v1/events') {
        checks.push(url);
        return ok({ items: [], nextCursor: null });
      }
      return sites.handler(url, init);
    });
    renderApp('/setup?site=s2');
    const tag = await screen.findByTestId('script-tag');
    expect(tag.textContent).toContain('data-api-key="ts_shop_key"');
    expect(screen.getByTestId('setup-site').textContent).toContain('For Shop (shop.example.com)');
    expect((await screen.findByTestId('first-event')).getAttribute('data-state')).toBe('waiting');
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((u) => u.searchParams.get('site') === 's2' && u.searchParams.get('limit') === '1')).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Send a test event' }));
    expect((await screen.findByTestId('test-event-result')).textContent).toContain('accepted');
    expect(testedSite).toBe('s2');
  });

  it('gives the one-line change for Plausible, Umami and the old snippet, for the current site', async () => {
    const sites = sitesApi();
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return sites.handler(url, init);
    });
    renderApp('/setup?site=s2');
    const card = await screen.findByTestId('drop-in');
    const origin = window.location.origin;
    expect(within(card).getByText('Already using Plausible, Umami or the old snippet?')).toBeTruthy();
    expect(screen.getByTestId('drop-in-plausible').textContent).toBe(
      `<script defer data-domain="shop.example.com" src="${origin}/js/script.js"></script>`,
    );
    expect(screen.getByTestId('drop-in-umami').textContent).toBe(
      `<script defer src="${origin}/script.js" data-website-id="s2"></script>`,
    );
    expect(screen.getByTestId('drop-in-seed').textContent).toBe(`${origin}/api/tracking-service/v1/public/events/`);
    expect(
      within(card).getByText(`init({ domain: 'shop.example.com', endpoint: '${origin}/api/event' })`),
    ).toBeTruthy();
    expect(screen.queryByTestId('drop-in-no-domain')).toBeNull();
  });

  it('asks for a domain before Plausible can name the site', async () => {
    const sites = sitesApi();
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return sites.handler(url, init);
    });
    renderApp('/setup?site=s1');
    expect((await screen.findByTestId('drop-in-no-domain')).textContent).toContain('Sites page');
    expect(screen.getByTestId('drop-in-plausible').textContent).toContain('data-domain="YOUR-DOMAIN"');
  });

  it('shows a card when events were refused in the last 24 hours, linking to the Sites page', async () => {
    const sites = sitesApi();
    const asked: URL[] = [];
    mockApi((url, init) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/stats/refused') {
        asked.push(url);
        return ok({
          lastHour: { origin: 12, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
          last24h: { origin: 40, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
        });
      }
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return sites.handler(url, init);
    });
    renderApp('/setup?site=s2');
    const card = await screen.findByTestId('refused-events');
    expect(card.getAttribute('data-window')).toBe('lastHour');
    expect(card.textContent).toContain(
      '12 events refused in the last hour: origin not allowed — fix it on the Sites page',
    );
    const link = within(card).getByRole('link', { name: 'Sites page' });
    expect(link.getAttribute('href')).toBe('/sites?site=s2');
    expect(asked.every((u) => u.searchParams.get('site') === 's2')).toBe(true);
  });

  it('falls back to the last 24 hours, and shows nothing when nothing was refused', async () => {
    let counts = {
      lastHour: { origin: 0, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 },
      last24h: { origin: 0, retired_key: 3, rate_limited: 0, invalid: 1, backlog: 0 },
    };
    mockApi((url) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/stats/refused') return ok(counts);
      if (url.pathname === '/api/v1/events') return ok({ items: [], nextCursor: null });
      return undefined;
    });
    const view = renderApp('/setup');
    const card = await screen.findByTestId('refused-events');
    expect(card.getAttribute('data-window')).toBe('last24h');
    expect(screen.getByTestId('refused-events-text').textContent).toBe(
      '4 events refused in the last 24 hours: sent with an old API key (3), invalid events (1)',
    );
    view.unmount();
    counts = { lastHour: counts.lastHour, last24h: counts.lastHour };
    renderApp('/setup');
    await screen.findByTestId('first-event');
    await waitFor(() => expect(screen.queryByTestId('refused-events')).toBeNull());
  });

  it('describes refusals: one reason, several, and the Sites-page fix only where it helps', () => {
    const zero = { origin: 0, retired_key: 0, rate_limited: 0, invalid: 0, backlog: 0 };
    expect(describeRefusals({ lastHour: zero, last24h: zero }, 'lastHour')).toBeNull();
    expect(describeRefusals({ lastHour: { ...zero, origin: 1 }, last24h: zero }, 'lastHour')).toMatchObject({
      total: 1,
      text: '1 event refused in the last hour: origin not allowed',
      fixOnSites: true,
    });
    expect(
      describeRefusals({ lastHour: zero, last24h: { ...zero, rate_limited: 1500, backlog: 2 } }, 'last24h'),
    ).toMatchObject({
      total: 1502,
      text: '1,502 events refused in the last 24 hours: over the rate limit (1,500), server too busy (2)',
      fixOnSites: false,
    });
  });
});
