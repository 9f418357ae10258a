// Runs the real bundle (built in memory by esbuild, as build.mjs does) in a VM with a fake page,
// to check what the <script> tag bootstrap does.
import { webcrypto } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../src/ids';

let bundle = '';

beforeAll(async () => {
  const out = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    format: 'iife',
    minify: true,
    target: ['es2018'],
    write: false,
  });
  bundle = out.outputFiles[0].text;
});

interface Call {
  url: string;
  init: { method: string; body: string; headers: Record<string, string>; keepalive: boolean };
}

function page(attrs: Record<string, string>, src = 'https://gw.example:8000/sdk.js') {
  const calls: Call[] = [];
  const warnings: unknown[][] = [];
  const g: Record<string, unknown> = {
    document: {
      currentScript: { src, getAttribute: (n: string) => (n in attrs ? attrs[n] : null) },
      referrer: 'https://ref.example/',
    },
    location: { href: 'https://site.example/page', origin: 'https://site.example' },
    localStorage: memoryStorage(),
    navigator: {},
    crypto: webcrypto,
    URL,
    console: { warn: (...a: unknown[]) => warnings.push(a) },
    fetch: (url: string, init: Call['init']) => {
      calls.push({ url, init });
      return Promise.resolve({});
    },
  };
  // memoryStorage has no removeItem; the probe needs it
  (g.localStorage as Record<string, unknown>).removeItem = () => {};
  g.window = g;
  const load = () => runInNewContext(bundle, g);
  return { g, calls, warnings, load };
}

describe('sdk.js bootstrap', () => {
  it('sends one PAGE_VIEW on load to the script origin as text/plain', () => {
    const p = page({ 'data-api-key': 'k1' });
    p.load();
    expect(p.calls).toHaveLength(1);
    const { url, init } = p.calls[0];
    expect(url).toBe('https://gw.example:8000/api/v1/events');
    expect(init.method).toBe('POST');
    expect(init.headers['Content-Type']).toBe('text/plain');
    const body = JSON.parse(init.body);
    expect(body.apiKey).toBe('k1');
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      apiKey: 'k1',
      eventName: 'PAGE_VIEW',
      page: 'https://site.example/page',
      referrer: 'https://ref.example/',
    });
    expect(body.events[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof (p.g.__trk as { track: unknown }).track).toBe('function');
  });

  it('honours data-host and exposes track()', () => {
    const p = page({ 'data-api-key': 'k1', 'data-host': 'https://api.example/' });
    p.load();
    (p.g.__trk as { track: (n: string, c?: object) => void }).track('CLICK', { a: 1 });
    expect(p.calls.map((c) => c.url)).toEqual([
      'https://api.example/api/v1/events',
      'https://api.example/api/v1/events',
    ]);
    expect(JSON.parse(p.calls[1].init.body).events[0]).toMatchObject({ eventName: 'CLICK', context: { a: 1 } });
  });

  it('does nothing on a second load', () => {
    const p = page({ 'data-api-key': 'k1' });
    p.load();
    const first = p.g.__trk;
    p.load();
    expect(p.g.__trk).toBe(first);
    expect(p.calls).toHaveLength(1);
  });

  it('warns once and does nothing without an api key', () => {
    const p = page({});
    p.load();
    expect(p.warnings).toHaveLength(1);
    expect(p.calls).toHaveLength(0);
    expect(p.g.__trk).toBeUndefined();
  });

  it('never throws into the page, even if fetch throws', () => {
    const p = page({ 'data-api-key': 'k1' });
    p.g.fetch = () => {
      throw new Error('blocked');
    };
    expect(() => p.load()).not.toThrow();
    expect(() => (p.g.__trk as { track: (n: string) => void }).track('x')).not.toThrow();
  });
});
