/**
 * Authenticated calls with silent refresh.
 *
 * On a 401 the client refreshes the session once and retries. Concurrent 401s share ONE refresh
 * (requests that start while it runs wait for it), and every one is retried with the new token.
 * If the refresh fails for any reason the session is cleared and `onExpired` is called once.
 * Across tabs, refreshes are serialized with the Web Locks API when available: a spent refresh
 * token would revoke the whole token family.
 */
import { ApiError, apiFetch, responseError, type ApiFetchOptions, type FetchLike } from '../api/client';
import type { SessionStore, Session } from './session';

export type LockFn = <T>(fn: () => Promise<T>) => Promise<T>;

export interface AuthClientOptions {
  store: SessionStore;
  onExpired: () => void;
  fetchImpl?: FetchLike;
  /** Cross-tab mutual exclusion for refreshes; defaults to navigator.locks when present. */
  lock?: LockFn;
}

const REFRESH_PATH = '/api/v1/auth/refresh';

function defaultLock(): LockFn {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks?.request) return (fn) => fn();
  return (fn) => locks.request('tracking.refresh', fn) as ReturnType<typeof fn>;
}

function isUnauthorized(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}

export class AuthClient {
  private refreshing: Promise<string> | null = null;
  private readonly store: SessionStore;
  private readonly onExpired: () => void;
  private readonly fetchImpl: FetchLike;
  private readonly lock: LockFn;

  constructor(options: AuthClientOptions) {
    this.store = options.store;
    this.onExpired = options.onExpired;
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.lock = options.lock ?? defaultLock();
  }

  /** A JSON API call with the Bearer token; resolves with the envelope's data. */
  request<T>(path: string, options: Omit<ApiFetchOptions, 'token' | 'fetchImpl'> = {}): Promise<T> {
    return this.withToken((token) => apiFetch<T>(path, { ...options, token, fetchImpl: this.fetchImpl }));
  }

  /**
   * A raw fetch with the Bearer token (streams, downloads). Resolves with any response except a
   * 401, which is handled like `request` does.
   */
  fetchRaw(path: string, init: RequestInit = {}): Promise<Response> {
    return this.withToken(async (token) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      const res = await this.fetchImpl(path, { ...init, headers });
      if (res.status === 401) throw await responseError(res);
      return res;
    });
  }

  /** End this session on the server (best effort) and locally. */
  async logout(): Promise<void> {
    const session = this.store.get();
    this.store.clear();
    if (!session) return;
    try {
      await apiFetch('/api/v1/auth/logout', {
        method: 'POST',
        json: { refreshToken: session.refreshToken },
        token: session.accessToken,
        fetchImpl: this.fetchImpl,
      });
    } catch {
      // The local session is gone either way; an expired token needs no server-side logout.
    }
  }

  private async withToken<R>(send: (token: string) => Promise<R>): Promise<R> {
    if (this.refreshing) await this.refreshing.catch(() => undefined);
    const token = this.store.get()?.accessToken;
    if (!token) throw new ApiError(401, { message: 'Not signed in' });
    try {
      return await send(token);
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
    }
    const fresh = await this.tokenAfter(token);
    try {
      return await send(fresh);
    } catch (err) {
      // A brand-new token refused: the account or session is gone.
      if (isUnauthorized(err)) this.expire();
      throw err;
    }
  }

  /** A token newer than `failed`: the current one if already refreshed, else one refresh. */
  private tokenAfter(failed: string): Promise<string> {
    const current = this.store.get();
    if (current && current.accessToken !== failed) return Promise.resolve(current.accessToken);
    if (!this.refreshing) {
      this.refreshing = this.refresh(failed).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async refresh(failed: string): Promise<string> {
    try {
      return await this.lock(async () => {
        // Another tab may have refreshed while this one waited for the lock.
        const latest = this.store.reload();
        if (!latest) throw new ApiError(401, { message: 'Signed out' });
        if (latest.accessToken !== failed) return latest.accessToken;
        const session = await apiFetch<Session>(REFRESH_PATH, {
          method: 'POST',
          json: { refreshToken: latest.refreshToken },
          fetchImpl: this.fetchImpl,
        });
        this.store.set(session);
        return session.accessToken;
      });
    } catch (err) {
      this.expire();
      throw err instanceof ApiError && err.status === 401
        ? err
        : new ApiError(401, { message: 'Your session has ended; sign in again' });
    }
  }

  private expire(): void {
    if (!this.store.get()) return;
    this.store.clear();
    this.onExpired();
  }
}
