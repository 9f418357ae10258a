import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiFetch, isTimeout, REQUEST_TIMEOUT_MS, RequestTimeout, type FetchLike } from './client';

afterEach(() => vi.useRealTimers());

/** A server that never answers: the promise settles only when the request is aborted. */
const silent: FetchLike = vi.fn(
  (_input: string, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    }),
);

function respond(status: number, body: unknown): FetchLike {
  return vi.fn(
    async () =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  );
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected apiFetch to reject');
}

describe('apiFetch', () => {
  it('returns data from a success envelope', async () => {
    const fetchImpl = respond(200, { data: { status: 'ok', components: {} }, errors: null });
    await expect(apiFetch('/api/v1/health', { fetchImpl })).resolves.toEqual({ status: 'ok', components: {} });
  });

  it('throws ApiError with status and the field errors map', async () => {
    const errors = { email: 'Enter a valid email', password: 'Too short' };
    const err = await rejection(apiFetch('/api/v1/auth/register', { fetchImpl: respond(400, { data: null, errors }) }));
    expect(err.status).toBe(400);
    expect(err.errors).toEqual(errors);
    expect(err.message).toBe('email: Enter a valid email');
  });

  it('uses errors.message as the error message', async () => {
    const err = await rejection(
      apiFetch('/api/v1/users/me', {
        fetchImpl: respond(401, { data: null, errors: { message: 'Not authenticated' } }),
      }),
    );
    expect(err.status).toBe(401);
    expect(err.message).toBe('Not authenticated');
  });

  it('throws even on 2xx when errors is set', async () => {
    const err = await rejection(
      apiFetch('/x', { fetchImpl: respond(200, { data: null, errors: { message: 'nope' } }) }),
    );
    expect(err.status).toBe(200);
  });

  it('keeps the payload of a non-2xx answer that has data and no errors', async () => {
    const fetchImpl = respond(503, { data: { status: 'degraded', components: {} }, errors: null });
    await expect(apiFetch('/api/v1/health', { fetchImpl })).resolves.toMatchObject({ status: 'degraded' });
  });

  it('resolves a 204 No Content (a removal) without a body', async () => {
    const fetchImpl: FetchLike = vi.fn(async () => new Response(null, { status: 204 }));
    await expect(apiFetch('/api/v1/goals/g1', { method: 'DELETE', fetchImpl })).resolves.toBeUndefined();
  });

  it('rejects non-envelope and non-JSON bodies', async () => {
    expect((await rejection(apiFetch('/x', { fetchImpl: respond(502, '<html>bad gateway</html>') }))).status).toBe(502);
    expect((await rejection(apiFetch('/x', { fetchImpl: respond(200, { hello: 1 }) }))).status).toBe(200);
  });

  it('maps network failures to status 0', async () => {
    const fetchImpl: FetchLike = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = await rejection(apiFetch('/x', { fetchImpl }));
    expect(err.status).toBe(0);
    expect(err.message).toBe('Failed to fetch');
  });

  it('sends JSON bodies and the bearer token', async () => {
    const fetchImpl = respond(200, { data: {}, errors: null });
    await apiFetch('/api/v1/auth/login', { method: 'POST', json: { email: 'a@b.c' }, token: 'tok', fetchImpl });
    const [url, init] = vi.mocked(fetchImpl).mock.calls[0]!;
    const headers = new Headers(init?.headers);
    expect(url).toBe('/api/v1/auth/login');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"email":"a@b.c"}');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(headers.get('Authorization')).toBe('Bearer tok');
  });

  it('gives up after REQUEST_TIMEOUT_MS without an answer, with a RequestTimeout (status 0)', async () => {
    vi.useFakeTimers();
    const result = apiFetch('/api/v1/stats/summary', { fetchImpl: silent }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
    let settled = false;
    void result.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = await result;
    expect(err).toBeInstanceOf(RequestTimeout);
    expect(err).toBeInstanceOf(ApiError);
    expect(isTimeout(err)).toBe(true);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).message).toBe('No answer from the server within 15 s');
  });

  it('keeps the caller’s own abort an AbortError, and a finished call stops its timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const result = apiFetch('/x', { fetchImpl: silent, signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const err = await result;
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('AbortError');
    expect(isTimeout(err)).toBe(false);

    await apiFetch('/x', { fetchImpl: respond(200, { data: 1, errors: null }) });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('honours a custom time limit, and 0 for none', async () => {
    vi.useFakeTimers();
    const quick = apiFetch('/x', { fetchImpl: silent, timeoutMs: 500 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect((await quick) as RequestTimeout).toMatchObject({ timeoutMs: 500, status: 0 });
    void apiFetch('/x', { fetchImpl: silent, timeoutMs: 0 }).catch(() => undefined);
    expect(vi.getTimerCount()).toBe(0);
  });
});
