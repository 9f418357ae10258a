// Hand-made fakes shared by the tests.
import type { KV } from '../src/ids';
import type { Ev } from '../src/queue';

/** A Web Storage stand-in backed by a Map (shared Map = same browser profile across "reloads"). */
export function memStorage(
  map = new Map<string, string>(),
): KV & { map: Map<string, string>; removeItem(k: string): void } {
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k)! : null),
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem: (k) => void map.delete(k),
  };
}

/** Storage whose every method throws, like Safari private mode or disabled storage. */
export const throwingStorage: KV = {
  getItem() {
    throw new Error('SecurityError');
  },
  setItem() {
    throw new Error('QuotaExceededError');
  },
};

export interface Req {
  url: string;
  init: RequestInit;
  events: Ev[];
  apiKey: string;
}

/**
 * A fetch fake: records requests and answers with the next scripted reply (a status, 'network'
 * for a rejected fetch, or [status, retryAfter]); 202 when the script is empty.
 */
export function fakeFetch(...script: (number | 'network' | [number, string])[]) {
  const reqs: Req[] = [];
  const fn = ((url: string, init: RequestInit) => {
    const body = JSON.parse(init.body as string);
    reqs.push({ url, init, events: body.events, apiKey: body.apiKey });
    const next = script.shift() ?? 202;
    if (next === 'network') return Promise.reject(new TypeError('Failed to fetch'));
    const [status, ra] = Array.isArray(next) ? next : [next, null];
    return Promise.resolve({
      status,
      headers: { get: (h: string) => (h.toLowerCase() === 'retry-after' ? ra : null) },
    });
  }) as unknown as typeof fetch;
  return { fn, reqs, script };
}

/** A window with just what the SDK touches: location, history, event listeners. */
export function fakeWindow(start = 'https://site.example/a') {
  let url = new URL(start);
  const listeners: Record<string, ((e: unknown) => void)[]> = {};
  const set = (u?: string | URL | null) => {
    if (u != null) url = new URL(u, url);
  };
  const location = {
    get href() {
      return url.href;
    },
    get origin() {
      return url.origin;
    },
    get pathname() {
      return url.pathname;
    },
    get search() {
      return url.search;
    },
    get hash() {
      return url.hash;
    },
  };
  const history = {
    state: null as unknown,
    pushState(state: unknown, _t: string, u?: string | URL | null) {
      this.state = state;
      set(u);
    },
    replaceState(state: unknown, _t: string, u?: string | URL | null) {
      this.state = state;
      set(u);
    },
  };
  return {
    location,
    history,
    addEventListener(type: string, fn: (e: unknown) => void) {
      (listeners[type] ||= []).push(fn);
    },
    dispatch(type: string) {
      for (const fn of listeners[type] || []) fn({ type });
    },
    listeners,
    /** Back/forward: the URL changes, then popstate fires. */
    popTo(u: string) {
      set(u);
      this.dispatch('popstate');
    },
    /** A click on <a href="#x">: the URL changes, then popstate and hashchange fire. */
    hashTo(h: string) {
      set(h);
      this.dispatch('popstate');
      this.dispatch('hashchange');
    },
  };
}
