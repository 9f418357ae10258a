/**
 * Minimal fetch helper for the gateway's JSON envelope:
 *   success: {"data": <payload>, "errors": null}
 *   failure: {"data": null, "errors": {field: message} | {message: "..."}}
 *
 * apiFetch resolves with `data`, or rejects with an ApiError carrying the
 * HTTP status and the errors map. Network failures and non-JSON bodies also
 * become ApiError (status 0 for network failures). A call without an answer within
 * REQUEST_TIMEOUT_MS is aborted and rejects with a RequestTimeout (an ApiError, status 0).
 */

/** How long a JSON call waits for its answer (headers and body) before giving up. */
export const REQUEST_TIMEOUT_MS = 15_000;

export type ApiErrors = Record<string, unknown>;

export interface Envelope<T> {
  data: T | null;
  errors: ApiErrors | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly errors: ApiErrors;

  constructor(status: number, errors: ApiErrors) {
    super(describeErrors(status, errors));
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
  }
}

/** The server sent no (complete) answer within the time limit; the request was aborted. */
export class RequestTimeout extends ApiError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(0, { message: `No answer from the server within ${Math.round(timeoutMs / 1000)} s` });
    this.name = 'RequestTimeout';
    this.timeoutMs = timeoutMs;
  }
}

export function isTimeout(error: unknown): error is RequestTimeout {
  return error instanceof RequestTimeout;
}

function describeErrors(status: number, errors: ApiErrors): string {
  if (typeof errors.message === 'string') return errors.message;
  const first = Object.entries(errors).find(([, v]) => typeof v === 'string');
  if (first) return `${first[0]}: ${String(first[1])}`;
  return status ? `HTTP ${status}` : 'Request failed';
}

function isEnvelope(body: unknown): body is Envelope<unknown> {
  return typeof body === 'object' && body !== null && 'data' in body && 'errors' in body;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiFetchOptions extends RequestInit {
  /** Serialized as JSON with Content-Type application/json. */
  json?: unknown;
  /** Bearer token for dashboard routes. */
  token?: string | null;
  /** Injectable for tests; defaults to the global fetch. */
  fetchImpl?: FetchLike;
  /** Give up after this many ms without a complete answer (REQUEST_TIMEOUT_MS; 0: never). */
  timeoutMs?: number;
}

/** The ApiError a failed raw Response describes (its envelope's errors when it has one). */
export async function responseError(res: Response): Promise<ApiError> {
  try {
    const body: unknown = await res.json();
    if (isEnvelope(body) && body.errors) return new ApiError(res.status, body.errors);
  } catch {
    // not JSON
  }
  return new ApiError(res.status, { message: `HTTP ${res.status}` });
}

/**
 * An AbortSignal that fires when `outer` does or after `ms` (0: only with `outer`), and whether
 * it was the time limit. Written out rather than AbortSignal.any/timeout: those need a recent
 * browser, and the caller's own abort (TanStack Query cancelling) must stay an AbortError.
 */
function limitSignal(outer: AbortSignal | null | undefined, ms: number) {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer =
    ms > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException('The request timed out', 'TimeoutError'));
        }, ms)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export async function apiFetch<T>(path: string, options: ApiFetchOptions = {}): Promise<T> {
  const { json, token, fetchImpl, headers: extraHeaders, timeoutMs = REQUEST_TIMEOUT_MS, signal, ...init } = options;
  const headers = new Headers(extraHeaders);
  headers.set('Accept', 'application/json');
  if (json !== undefined) {
    headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(json);
  }
  if (token) headers.set('Authorization', `Bearer ${token}`);

  const doFetch: FetchLike = fetchImpl ?? ((input, i) => fetch(input, i));
  const limit = limitSignal(signal, timeoutMs);
  let res: Response;
  let body: unknown;
  try {
    try {
      res = await doFetch(path, { ...init, headers, signal: limit.signal });
    } catch (err) {
      if (limit.timedOut()) throw new RequestTimeout(timeoutMs);
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, { message: err instanceof Error ? err.message : 'Network error' });
    }
    // 204 No Content (a goal or funnel removed): nothing to parse.
    if (res.status === 204) return undefined as T;
    try {
      body = await res.json();
    } catch (err) {
      if (limit.timedOut()) throw new RequestTimeout(timeoutMs);
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(res.status, { message: `Unexpected response (HTTP ${res.status})` });
    }
  } finally {
    limit.done();
  }

  if (!isEnvelope(body)) {
    throw new ApiError(res.status, { message: `Unexpected response (HTTP ${res.status})` });
  }
  if (body.errors !== null && body.errors !== undefined) {
    throw new ApiError(res.status, body.errors);
  }
  // A non-2xx answer without errors but with data (e.g. a 503 health report
  // saying "degraded") still carries a usable payload.
  if (!res.ok && body.data === null) {
    throw new ApiError(res.status, { message: `HTTP ${res.status}` });
  }
  return body.data as T;
}
