import { describe, expect, it, vi } from 'vitest';
import { ApiError, apiFetch, type FetchLike } from './client';

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
});
