import { describe, expect, it, vi } from 'vitest';
import { ApiError, type FetchLike } from '../api/client';
import type { User } from '../api/types';
import { AuthClient } from './authClient';
import { SessionStore, type Session } from './session';

const user: User = {
  id: 'u1',
  name: 'Ada',
  email: 'ada@example.com',
  apiKey: 'ts_key',
  timezone: 'UTC',
  allowedOrigins: [],
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: null,
};

function session(n: number): Session {
  return { accessToken: `access-${n}`, refreshToken: `refresh-${n}`, expiresOn: '2099-01-01T00:00:00Z', user };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const unauthorized = () => json(401, { data: null, errors: { message: 'Invalid or expired token' } });

/** A fake server: accepts only `validToken`; refresh trades the current refresh token once. */
function fakeServer(opts: { refreshOk?: boolean; refreshDelayMs?: number } = {}) {
  const state = { validToken: 'access-2', refreshCalls: 0, dataCalls: [] as string[] };
  const fetchImpl: FetchLike = vi.fn(async (url: string, init?: RequestInit) => {
    const auth = new Headers(init?.headers).get('Authorization');
    if (url === '/api/v1/auth/refresh') {
      state.refreshCalls += 1;
      await new Promise((r) => setTimeout(r, opts.refreshDelayMs ?? 5));
      const body = JSON.parse(String(init?.body)) as { refreshToken: string };
      if (opts.refreshOk === false || body.refreshToken !== 'refresh-1') return unauthorized();
      return json(200, { data: session(2), errors: null });
    }
    if (url.includes('slow')) await new Promise((r) => setTimeout(r, 50));
    state.dataCalls.push(`${url} ${auth}`);
    if (auth !== `Bearer ${state.validToken}`) return unauthorized();
    return json(200, { data: { url }, errors: null });
  });
  return { state, fetchImpl };
}

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, v),
  };
}

function setup(opts: { refreshOk?: boolean; refreshDelayMs?: number } = {}) {
  const storage = memoryStorage();
  const store = new SessionStore(storage);
  store.set(session(1));
  const server = fakeServer(opts);
  const onExpired = vi.fn();
  const client = new AuthClient({ store, onExpired, fetchImpl: server.fetchImpl, lock: (fn) => fn() });
  return { store, storage, client, onExpired, ...server };
}

describe('AuthClient refresh queue', () => {
  it('sends the bearer token and returns data when it is valid', async () => {
    const { client, store, state } = setup();
    store.set(session(2));
    await expect(client.request('/api/v1/users/me')).resolves.toEqual({ url: '/api/v1/users/me' });
    expect(state.refreshCalls).toBe(0);
  });

  it('concurrent 401s trigger exactly one refresh, and every request is retried', async () => {
    const { client, store, state, onExpired, storage } = setup();
    const paths = ['/a', '/b', '/c', '/d', '/e'];
    const results = await Promise.all(paths.map((p) => client.request<{ url: string }>(p)));
    expect(results.map((r) => r.url)).toEqual(paths);
    expect(state.refreshCalls).toBe(1);
    expect(onExpired).not.toHaveBeenCalled();
    expect(store.get()?.accessToken).toBe('access-2');
    expect(JSON.parse(storage.getItem('tracking.session')!).refreshToken).toBe('refresh-2');
    for (const p of paths) expect(state.dataCalls).toContain(`${p} Bearer access-2`);
  });

  it('requests started during a refresh wait for it instead of failing', async () => {
    const { client, state } = setup({ refreshDelayMs: 30 });
    const first = client.request('/first');
    await new Promise((r) => setTimeout(r, 10)); // the refresh is now in flight
    const late = client.request('/late');
    await Promise.all([first, late]);
    expect(state.refreshCalls).toBe(1);
    // The late request went out once, already with the new token.
    expect(state.dataCalls.filter((c) => c.startsWith('/late'))).toEqual(['/late Bearer access-2']);
  });

  it('a 401 arriving after the refresh finished retries with the new token, no second refresh', async () => {
    const { client, state, onExpired } = setup();
    const slow = client.request('/slow'); // sent with access-1, answered 401 after the refresh
    await client.request('/fast');
    await slow;
    expect(state.refreshCalls).toBe(1);
    expect(onExpired).not.toHaveBeenCalled();
    expect(state.dataCalls).toContain('/slow Bearer access-2');
  });

  it('refresh failure clears the session and calls onExpired once', async () => {
    const { client, store, storage, onExpired, state } = setup({ refreshOk: false });
    const results = await Promise.allSettled(['/a', '/b', '/c'].map((p) => client.request(p)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
    expect(state.refreshCalls).toBe(1);
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(store.get()).toBeNull();
    expect(storage.getItem('tracking.session')).toBeNull();
  });

  it('a refresh that fails on the network also ends the session', async () => {
    const store = new SessionStore(memoryStorage());
    store.set(session(1));
    const onExpired = vi.fn();
    const fetchImpl: FetchLike = vi.fn(async (url: string) => {
      if (url.endsWith('/refresh')) throw new TypeError('Failed to fetch');
      return unauthorized();
    });
    const client = new AuthClient({ store, onExpired, fetchImpl, lock: (fn) => fn() });
    await expect(client.request('/x')).rejects.toMatchObject({ status: 401 });
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(store.get()).toBeNull();
  });

  it('does not refresh on other errors', async () => {
    const store = new SessionStore(memoryStorage());
    store.set(session(1));
    const fetchImpl: FetchLike = vi.fn(async () => json(404, { data: null, errors: { message: 'No such API route' } }));
    const client = new AuthClient({ store, onExpired: vi.fn(), fetchImpl, lock: (fn) => fn() });
    await expect(client.request('/x')).rejects.toMatchObject({ status: 404, message: 'No such API route' });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it('uses a token another tab already refreshed instead of spending the refresh token', async () => {
    const { client, storage, state } = setup();
    // Another tab refreshed: storage holds the new pair, this tab's memory the old one.
    storage.setItem('tracking.session', JSON.stringify(session(2)));
    await client.request('/x');
    expect(state.refreshCalls).toBe(0);
  });

  it('fetchRaw retries a 401 with the refreshed token and returns the response', async () => {
    const { client, state } = setup();
    const res = await client.fetchRaw('/api/v1/events/export?format=csv');
    expect(res.status).toBe(200);
    expect(state.refreshCalls).toBe(1);
  });

  it('logout calls the API with both tokens and clears the session', async () => {
    const { client, store } = setup();
    const fetchImpl = vi.fn<FetchLike>(async () => json(200, { data: {}, errors: null }));
    const c = new AuthClient({ store, onExpired: vi.fn(), fetchImpl, lock: (fn) => fn() });
    void client;
    await c.logout();
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe('/api/v1/auth/logout');
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer access-1');
    expect(JSON.parse(String(init?.body))).toEqual({ refreshToken: 'refresh-1' });
    expect(store.get()).toBeNull();
  });
});
