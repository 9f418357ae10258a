// Runs the real bundle (built in memory with build.mjs's options) in a VM with a fake page, to
// check what the one <script> tag does.
import { webcrypto } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
// @ts-expect-error plain JS module without types
import { options } from '../scripts/esbuild-options.mjs';
import type { Ev } from '../src/queue';
import { fakeWindow, memStorage } from './helpers';

let bundle = '';

beforeAll(async () => {
  const out = await build({ ...options, write: false });
  bundle = out.outputFiles![0].text;
});
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

interface Api {
  [m: string]: (...a: unknown[]) => void;
}

function page(attrs: Record<string, string>, o: { src?: string; stub?: unknown; currentScript?: boolean } = {}) {
  const reqs: { url: string; init: RequestInit; events: Ev[] }[] = [];
  const beacons: { url: string; events: Ev[] }[] = [];
  const warnings: unknown[][] = [];
  const docListeners: Record<string, (() => void)[]> = {};
  const script = { src: o.src ?? 'https://gw.example:8000/sdk.js', dataset: attrs };
  const w = fakeWindow('https://site.example/page');
  const storage = memStorage();
  const g: Record<string, unknown> = Object.assign(w, {
    document: {
      currentScript: o.currentScript === false ? null : script,
      querySelector: (sel: string) => (sel === 'script[data-api-key]' && 'apiKey' in attrs ? script : null),
      referrer: 'https://ref.example/',
      visibilityState: 'visible',
      addEventListener: (t: string, fn: () => void) => (docListeners[t] ||= []).push(fn),
    },
    localStorage: storage,
    navigator: {
      sendBeacon: (url: string, body: string) => (beacons.push({ url, events: JSON.parse(body).events }), true),
    } as Record<string, unknown>,
    crypto: webcrypto,
    URL,
    Blob,
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    console: { warn: (...a: unknown[]) => warnings.push(a) },
    fetch: (url: string, init: RequestInit) => {
      reqs.push({ url, init, events: JSON.parse(init.body as string).events });
      return Promise.resolve({ status: 202, headers: { get: () => null } });
    },
  });
  if (o.stub) g.__trk = o.stub;
  g.window = g;
  return {
    g,
    w,
    storage,
    reqs,
    beacons,
    warnings,
    api: () => g.__trk as Api,
    names: () => reqs.flatMap((r) => r.events.map((e) => e.eventName)),
    load: () => runInNewContext(bundle, g),
    hide: () => {
      (g.document as { visibilityState: string }).visibilityState = 'hidden';
      for (const fn of docListeners.visibilitychange || []) fn();
    },
  };
}

const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('sdk.js bootstrap', () => {
  it('sends one PAGE_VIEW on load to the script origin', async () => {
    const p = page({ apiKey: 'k1' });
    p.load();
    await tick(0);
    expect(p.reqs).toHaveLength(1);
    const { url, init, events } = p.reqs[0];
    expect(url).toBe('https://gw.example:8000/api/v1/events');
    expect(init).toMatchObject({ method: 'POST', keepalive: true });
    expect(typeof init.body).toBe('string'); // sent as text/plain: no CORS preflight
    expect(JSON.parse(init.body as string).apiKey).toBe('k1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      apiKey: 'k1',
      eventName: 'PAGE_VIEW',
      page: 'https://site.example/page',
      referrer: 'https://ref.example/',
    });
    expect(events[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(p.api()).sort()).toEqual(
      ['identify', 'optIn', 'optOut', 'page', 'reset', 'setUserId', 'track', 'trackEvent'].sort(),
    );
    expect(p.warnings).toEqual([]);
  });

  it('honours data-host and exposes track()', async () => {
    const p = page({ apiKey: 'k1', host: 'https://api.example/' });
    p.load();
    await tick(0);
    p.api().track('CLICK', { a: 1 });
    await tick(1000);
    expect(p.reqs.map((c) => c.url)).toEqual([
      'https://api.example/api/v1/events',
      'https://api.example/api/v1/events',
    ]);
    expect(p.reqs[1].events[0]).toMatchObject({ eventName: 'CLICK', context: { a: 1 } });
  });

  it('names its site by data-domain, as a Plausible tag does', async () => {
    const p = page({ domain: 'blog.example' }, { src: 'https://gw.example/js/script.outbound-links.js' });
    p.load();
    await tick(0);
    expect(p.reqs[0].url).toBe('https://gw.example/api/v1/events');
    expect(JSON.parse(p.reqs[0].init.body as string).apiKey).toBe('domain:blog.example');
    expect(p.reqs[0].events[0]).toMatchObject({ apiKey: 'domain:blog.example', eventName: 'PAGE_VIEW' });
    expect(p.warnings).toEqual([]);
  });

  it('names its site by data-website-id and reads data-host-url, as an Umami tag does', async () => {
    const p = page(
      { websiteId: '01SITE', hostUrl: 'https://stats.example/' },
      { src: 'https://cdn.example/script.js' },
    );
    p.load();
    await tick(0);
    expect(p.reqs[0].url).toBe('https://stats.example/api/v1/events');
    expect(p.reqs[0].events[0].apiKey).toBe('site:01SITE');
  });

  it("prefers data-api-key over the other trackers' attributes", async () => {
    const p = page({ apiKey: 'k1', domain: 'blog.example', websiteId: '01SITE' });
    p.load();
    await tick(0);
    expect(p.reqs[0].events[0].apiKey).toBe('k1');
  });

  it('finds its tag without document.currentScript', async () => {
    const p = page({ apiKey: 'k1' }, { currentScript: false });
    p.load();
    await tick(0);
    expect(p.names()).toEqual(['PAGE_VIEW']);
  });

  it('does nothing on a second load', async () => {
    const p = page({ apiKey: 'k1' });
    p.load();
    const first = p.g.__trk;
    p.load();
    expect(p.g.__trk).toBe(first);
    await tick(0);
    (p.w.history as unknown as History).pushState({}, '', '/next'); // history patched once
    await tick(1000);
    expect(p.names()).toEqual(['PAGE_VIEW', 'PAGE_VIEW']);
  });

  it('warns once and does nothing without an api key', async () => {
    const stub = { q: [['track', 'x']] };
    const p = page({}, { stub });
    p.load();
    await tick(5000);
    expect(p.warnings).toHaveLength(1);
    expect(String(p.warnings[0][0])).toMatch(/data-api-key/);
    expect(p.reqs).toHaveLength(0);
    expect(p.g.__trk).toBe(stub);
  });

  it('never throws into the page, even if fetch and localStorage throw', async () => {
    const p = page({ apiKey: 'k1' });
    let calls = 0;
    p.g.fetch = () => {
      calls++;
      throw new Error('blocked');
    };
    Object.defineProperty(p.g, 'localStorage', {
      get() {
        throw new Error('SecurityError');
      },
    });
    expect(() => p.load()).not.toThrow();
    await tick(0);
    expect(calls).toBe(1);
    const api = p.api();
    for (const m of Object.keys(api)) expect(() => api[m]()).not.toThrow();
    expect(() => api.trackEvent(null)).not.toThrow();
    expect(() => p.hide()).not.toThrow();
  });

  it('replays the stub queue before the automatic page view, then runs later pushes at once', async () => {
    const stub = {
      q: [
        ['identify', 'u-1'],
        ['track', 'early', { a: 1 }],
        ['noSuchMethod', 1],
      ],
    };
    const p = page({ apiKey: 'k1' }, { stub });
    p.load();
    await tick(0);
    expect(p.reqs[0].events.map((e) => [e.eventName, e.userId])).toEqual([
      ['early', 'u-1'],
      ['PAGE_VIEW', 'u-1'],
    ]);
    stub.q.push(['track', 'late']); // code holding the old stub object
    await tick(1000);
    expect(p.names()).toEqual(['early', 'PAGE_VIEW', 'late']);
  });

  it('a queued optOut() suppresses the automatic page view', async () => {
    const p = page({ apiKey: 'k1' }, { stub: { q: [['optOut']] } });
    p.load();
    await tick(5000);
    expect(p.reqs).toHaveLength(0);
    expect(p.storage.getItem('trk_optout')).toBe('1');
  });

  it('data-disabled sends nothing but keeps the API', async () => {
    const p = page({ apiKey: 'k1', disabled: '' });
    p.load();
    p.api().track('x');
    await tick(5000);
    expect(p.reqs).toHaveLength(0);
    expect(typeof p.api().track).toBe('function');
  });

  it('Do Not Track is honoured only with data-respect-dnt', async () => {
    for (const [attrs, dnt, sent] of [
      [{ apiKey: 'k1' }, '1', 1],
      [{ apiKey: 'k1', respectDnt: '' }, '1', 0],
      [{ apiKey: 'k1', respectDnt: '' }, '0', 1],
    ] as const) {
      const p = page(attrs);
      (p.g.navigator as Record<string, unknown>).doNotTrack = dnt;
      p.load();
      await tick(0);
      expect([attrs, dnt, p.reqs.length]).toEqual([attrs, dnt, sent]);
    }
  });

  it('hands waiting events to sendBeacon when the page is hidden, and on pagehide', async () => {
    const p = page({ apiKey: 'k1' });
    p.load();
    await tick(0);
    p.api().track('a');
    p.hide();
    expect(p.beacons).toHaveLength(1);
    expect(p.beacons[0].url).toBe('https://gw.example:8000/api/v1/events');
    expect(p.beacons[0].events.map((e) => e.eventName)).toEqual(['a']);
    p.api().track('b');
    p.w.dispatch('pagehide');
    expect(p.beacons.map((b) => b.events[0].eventName)).toEqual(['a', 'b']);
    await tick(5000);
    expect(p.names()).toEqual(['PAGE_VIEW']);
  });

  it('counts SPA navigations with the previous page view as referrer', async () => {
    const p = page({ apiKey: 'k1' });
    p.load();
    await tick(0);
    const h = p.w.history as unknown as History;
    h.pushState({}, '', '/two');
    h.replaceState({}, '', '/two?tab=1');
    p.w.popTo('/page');
    p.w.dispatch('hashchange');
    await tick(1000);
    const views = p.reqs.flatMap((r) => r.events).map((e) => [e.page, e.referrer]);
    expect(views).toEqual([
      ['https://site.example/page', 'https://ref.example/'],
      ['https://site.example/two', 'https://site.example/page'],
      ['https://site.example/page', 'https://site.example/two'], // the replaceState was not a page view
    ]);
  });

  it('data-hash-routing counts hash navigations', async () => {
    const p = page({ apiKey: 'k1', hashRouting: '' });
    p.load();
    p.w.hashTo('#/users');
    await tick(1000);
    expect(p.reqs.flatMap((r) => r.events).map((e) => e.page)).toEqual([
      'https://site.example/page',
      'https://site.example/page#/users',
    ]);
  });
});
