import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SID_KEY, UID_KEY, safeStorage } from '../src/ids';
import { MAX_QUEUE, QUEUE_KEY, type Ev } from '../src/queue';
import { createTracker, OPTOUT_KEY, type Deps } from '../src/tracker';
import { fakeFetch, memStorage, throwingStorage } from './helpers';

const T0 = 1_700_000_000_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A tracker on `storage` (a Map-backed fake by default; reuse its map to simulate a reload). */
function setup(opts: { map?: Map<string, string>; replies?: Parameters<typeof fakeFetch>; deps?: Partial<Deps> } = {}) {
  const storage = memStorage(opts.map);
  const f = fakeFetch(...(opts.replies || []));
  let href = 'https://site.example/a?b=1';
  const beacons: { url: string; events: Ev[] }[] = [];
  const [t, hide] = createTracker({
    apiKey_: 'key-1',
    url_: 'https://gw.example/api/v1/events',
    st_: storage,
    fetch_: f.fn,
    now_: Date.now,
    href_: () => href,
    referrer_: () => 'https://ref.example/',
    ...opts.deps,
  });
  return {
    t,
    hide,
    storage,
    reqs: f.reqs,
    script: f.script,
    beacons,
    go: (u: string) => (href = u),
    sent: () => f.reqs.flatMap((r) => r.events),
    beacon: (url: string, body: string) => (beacons.push({ url, events: JSON.parse(body).events }), true),
  };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('events', () => {
  it('sends a complete event as a batch to the ingestion URL', async () => {
    const s = setup();
    s.t.track('signup', { plan: 'pro' });
    await tick();
    expect(s.reqs).toHaveLength(1);
    const r = s.reqs[0];
    expect(r.url).toBe('https://gw.example/api/v1/events');
    expect(r.apiKey).toBe('key-1');
    const [e] = r.events;
    expect(e).toMatchObject({
      apiKey: 'key-1',
      eventName: 'signup',
      eventTime: T0,
      page: 'https://site.example/a?b=1',
      context: { plan: 'pro' },
    });
    expect(e.userId).toMatch(/^temp:[0-9a-f]{32}$/);
    expect(e.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e).not.toHaveProperty('referrer'); // custom events carry no referrer
  });

  it('trackEvent and setUserId keep the seed API', async () => {
    const s = setup();
    s.t.setUserId('user-7');
    s.t.trackEvent({ eventName: 'CLICK', context: { id: 'buy' } });
    await tick();
    expect(s.sent()[0]).toMatchObject({ eventName: 'CLICK', userId: 'user-7', context: { id: 'buy' } });
  });

  it('snapshots context at track time and truncates page to 2048 chars', async () => {
    const s = setup();
    const ctx = { n: 1 };
    s.go('https://site.example/' + 'p'.repeat(3000));
    s.t.track('x', ctx);
    ctx.n = 2;
    await tick();
    expect(s.sent()[0].context).toEqual({ n: 1 });
    expect(s.sent()[0].page).toHaveLength(2048);
  });

  it('page(): document.referrer first, then the previous URL', async () => {
    const s = setup();
    s.t.page();
    s.go('https://site.example/b');
    s.t.page();
    await tick();
    const [a, b] = s.sent();
    expect(a).toMatchObject({
      eventName: 'PAGE_VIEW',
      page: 'https://site.example/a?b=1',
      referrer: 'https://ref.example/',
    });
    expect(b).toMatchObject({
      eventName: 'PAGE_VIEW',
      page: 'https://site.example/b',
      referrer: 'https://site.example/a?b=1',
    });
  });

  it('ignores bad input', async () => {
    const s = setup();
    s.t.track('');
    // @ts-expect-error runtime misuse from plain JS
    s.t.track(42);
    // @ts-expect-error runtime misuse from plain JS
    s.t.trackEvent(undefined);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => s.t.track('cyclic', cyclic)).not.toThrow();
    await tick(5000);
    expect(s.reqs).toHaveLength(0);
  });
});

describe('ids', () => {
  it('keeps one anonymous id across events and reloads; identify persists', async () => {
    const map = new Map<string, string>();
    const a = setup({ map });
    a.t.track('one');
    a.t.track('two');
    await tick();
    const [e1, e2] = a.sent();
    expect(e2.userId).toBe(e1.userId);
    expect(e2.sessionId).toBe(e1.sessionId);
    expect(e2.eventId).not.toBe(e1.eventId);
    a.t.identify('user-9');
    const b = setup({ map }); // reload
    b.t.track('three');
    await tick();
    expect(b.sent()[0]).toMatchObject({ userId: 'user-9', sessionId: e1.sessionId });
  });

  it('reset() starts a new anonymous id and a new session', async () => {
    const s = setup();
    s.t.identify('user-1');
    s.t.track('before');
    s.t.reset();
    s.t.track('after');
    await tick();
    const [before, after] = s.sent();
    expect(before.userId).toBe('user-1');
    expect(after.userId).toMatch(/^temp:/);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(s.storage.getItem(UID_KEY)).toBe(after.userId);
  });

  it('rolls the session after 30 idle minutes', async () => {
    const s = setup();
    s.t.track('a');
    await tick(10 * 60_000);
    s.t.track('b');
    await tick(31 * 60_000);
    s.t.track('c');
    await tick(1000);
    const [a, b, c] = s.sent();
    expect(b.sessionId).toBe(a.sessionId);
    expect(c.sessionId).not.toBe(a.sessionId);
    expect(s.storage.getItem(SID_KEY)).toBe(`${c.sessionId}.${T0 + 41 * 60_000}`);
  });
});

describe('batching', () => {
  it('the first batch goes at once, later ones after ~1 s', async () => {
    const s = setup();
    s.t.page();
    s.t.track('same-tick');
    await tick(0);
    expect(s.reqs.map((r) => r.events.length)).toEqual([2]);
    s.t.track('x');
    await tick(999);
    expect(s.reqs).toHaveLength(1);
    s.t.track('y');
    await tick(1);
    expect(s.reqs.map((r) => r.events.map((e) => e.eventName))).toEqual([
      ['PAGE_VIEW', 'same-tick'],
      ['x', 'y'],
    ]);
  });

  it('sends at once when 10 events wait', async () => {
    const s = setup();
    s.t.track('first');
    await tick(0);
    for (let i = 0; i < 9; i++) s.t.track('e' + i);
    await tick(0);
    expect(s.reqs).toHaveLength(1); // 9: waits for the timer
    s.t.track('e9');
    await tick(0);
    expect(s.reqs).toHaveLength(2);
    expect(s.reqs[1].events).toHaveLength(10);
  });

  it('sends one request at a time and keeps order', async () => {
    const s = setup({ replies: ['network'] });
    s.t.track('a');
    await tick(0);
    s.t.track('b');
    await tick(60_000);
    expect(s.sent().map((e) => e.eventName)).toEqual(['a', 'a', 'b']);
    expect(s.storage.getItem(QUEUE_KEY)).toBe('[]');
  });
});

describe('retry', () => {
  for (const reply of [500, 503, 429, 'network'] as const) {
    it(`retries after ${reply} with the same eventIds, backing off`, async () => {
      vi.spyOn(Math, 'random').mockReturnValue(1); // jitter at its maximum: exact delays
      const s = setup({ replies: [reply, reply, reply] });
      s.t.track('a');
      await tick(0);
      expect(s.reqs).toHaveLength(1);
      await tick(999);
      expect(s.reqs).toHaveLength(1);
      await tick(1); // 1 s
      expect(s.reqs).toHaveLength(2);
      await tick(1999);
      expect(s.reqs).toHaveLength(2);
      await tick(1); // 2 s
      expect(s.reqs).toHaveLength(3);
      await tick(4000); // 4 s, then 202
      expect(s.reqs).toHaveLength(4);
      expect(new Set(s.reqs.map((r) => r.events[0].eventId)).size).toBe(1);
      await tick(60_000);
      expect(s.reqs).toHaveLength(4);
      expect(s.storage.getItem(QUEUE_KEY)).toBe('[]');
    });
  }

  it('waits Retry-After seconds when readable', async () => {
    const s = setup({ replies: [[503, '20']] });
    s.t.track('a');
    await tick(19_999);
    expect(s.reqs).toHaveLength(1);
    await tick(1);
    expect(s.reqs).toHaveLength(2);
  });

  it('caps the delay at 30 s', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const s = setup({ replies: Array(12).fill(500) });
    s.t.track('a');
    await tick(0);
    await tick(1000 + 2000 + 4000 + 8000 + 16000 + 30000 + 30000);
    expect(s.reqs).toHaveLength(8);
    await tick(29_999);
    expect(s.reqs).toHaveLength(8);
    await tick(1);
    expect(s.reqs).toHaveLength(9);
  });

  for (const status of [400, 401, 403, 413]) {
    it(`drops the batch on ${status} without retrying, warning once`, async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const s = setup({ replies: [status, status] });
      s.t.track('a');
      await tick(0);
      s.t.track('b');
      await tick(1000);
      await tick(120_000);
      expect(s.sent().map((e) => e.eventName)).toEqual(['a', 'b']);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(s.storage.getItem(QUEUE_KEY)).toBe('[]');
    });
  }

  it('treats 202 with rejected events as delivered', async () => {
    const s = setup({ replies: [202] });
    s.t.track('a');
    await tick(60_000);
    expect(s.reqs).toHaveLength(1);
  });
});

describe('offline queue', () => {
  it('survives a reload and is sent on the next load', async () => {
    const map = new Map<string, string>();
    const a = setup({ map, replies: Array(50).fill('network') });
    a.t.track('offline-1');
    a.t.track('offline-2');
    await tick(10_000);
    expect(JSON.parse(map.get(QUEUE_KEY)!)).toHaveLength(2);
    const b = setup({ map }); // reload, server back
    b.t.page();
    await tick(0);
    expect(b.sent().map((e) => e.eventName)).toEqual(['offline-1', 'offline-2', 'PAGE_VIEW']);
    expect(b.sent()[0].eventId).toBe(a.reqs[0].events[0].eventId);
    expect(map.get(QUEUE_KEY)).toBe('[]');
  });

  it(`is bounded to ${MAX_QUEUE} events, dropping the oldest`, async () => {
    const map = new Map<string, string>();
    const a = setup({ map, replies: Array(1000).fill(503) });
    for (let i = 0; i < MAX_QUEUE + 30; i++) a.t.track('e' + i);
    const stored: Ev[] = JSON.parse(map.get(QUEUE_KEY)!);
    expect(stored).toHaveLength(MAX_QUEUE);
    expect(stored[0].eventName).toBe('e30');
    expect(stored[MAX_QUEUE - 1].eventName).toBe(`e${MAX_QUEUE + 29}`);
  });
});

describe('page hidden', () => {
  it('hands waiting events to sendBeacon and does not send them again', async () => {
    const s0 = setup();
    const s = setup({ deps: { beacon_: s0.beacon } });
    s.t.track('a');
    await tick(0);
    s.t.track('b');
    s.t.track('c');
    s.hide();
    expect(s0.beacons).toHaveLength(1);
    expect(s0.beacons[0].url).toBe('https://gw.example/api/v1/events');
    expect(s0.beacons[0].events.map((e) => e.eventName)).toEqual(['b', 'c']);
    await tick(10_000);
    expect(s.sent().map((e) => e.eventName)).toEqual(['a']);
    expect(s.storage.getItem(QUEUE_KEY)).toBe('[]');
  });

  it('keeps events queued when sendBeacon refuses them', async () => {
    const s = setup({ deps: { beacon_: () => false } });
    s.t.track('a');
    s.hide();
    expect(JSON.parse(s.storage.getItem(QUEUE_KEY)!)).toHaveLength(1);
  });

  it('while the server fails, keeps events for the next load instead of beaconing', async () => {
    const s0 = setup();
    const s = setup({ replies: [503], deps: { beacon_: s0.beacon } });
    s.t.track('a');
    await tick(0);
    s.hide();
    expect(s0.beacons).toHaveLength(0);
    expect(JSON.parse(s.storage.getItem(QUEUE_KEY)!)).toHaveLength(1);
  });

  it('without sendBeacon, flushes with keepalive fetch', async () => {
    const s = setup();
    s.t.track('a');
    await tick(0);
    s.t.track('b');
    s.hide();
    await tick(0);
    expect(s.reqs).toHaveLength(2);
  });
});

describe('opt-out', () => {
  it('optOut stops sending, drops the queue, persists; optIn resumes', async () => {
    const map = new Map<string, string>();
    const s = setup({ map, replies: ['network'] });
    s.t.track('a');
    await tick(0);
    s.t.optOut();
    expect(map.get(OPTOUT_KEY)).toBe('1');
    expect(map.get(QUEUE_KEY)).toBe('[]');
    s.t.track('b');
    s.t.page();
    await tick(60_000);
    expect(s.sent().map((e) => e.eventName)).toEqual(['a']);
    const r = setup({ map }); // reload: still opted out
    r.t.track('c');
    await tick(5000);
    expect(r.reqs).toHaveLength(0);
    r.t.optIn();
    r.t.track('d');
    await tick(5000);
    expect(r.sent().map((e) => e.eventName)).toEqual(['d']);
  });

  it('off (data-disabled / DNT) sends nothing at all', async () => {
    const s = setup({ deps: { off_: true } });
    s.t.page();
    s.t.track('a');
    await tick(5000);
    expect(s.reqs).toHaveLength(0);
  });
});

describe('never throws', () => {
  it('works on storage that throws, with stable ids', async () => {
    const s = setup({ deps: { st_: safeStorage(() => throwingStorage) } });
    expect(() => {
      s.t.optOut();
      s.t.optIn();
      s.t.identify('u');
      s.t.page();
      s.t.track('x', { a: 1 });
      s.t.reset();
      s.t.track('y');
      s.hide();
    }).not.toThrow();
    await tick(0);
    const [a, b, c] = s.sent();
    expect([a.eventName, b.eventName, c.eventName]).toEqual(['PAGE_VIEW', 'x', 'y']);
    expect(b.userId).toBe('u');
    expect(c.userId).toMatch(/^temp:/);
  });

  it('swallows errors from the injected environment', async () => {
    const s = setup({
      deps: {
        href_: () => {
          throw new Error('boom');
        },
        beacon_: () => {
          throw new Error('boom');
        },
      },
    });
    expect(() => s.t.track('a')).not.toThrow();
    expect(() => s.t.page()).not.toThrow();
    expect(() => s.hide()).not.toThrow();
  });
});
