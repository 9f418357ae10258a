// HTTP delivery: one POST, the verdict on its answer, and the retry delay.

/** [status (0 = network error), Retry-After header if CORS lets us read it] */
export type Answer = [number, (string | null)?];

/**
 * POSTs `body`, a string, so fetch sends it as `text/plain;charset=UTF-8` (a CORS "simple"
 * request: no preflight; no header needed), keepalive so it can outlive the page. Cookies are
 * never sent cross-origin (default credentials mode). Never rejects and never throws: a network
 * error or a throwing fetch answers [0].
 */
export function post(f: typeof fetch, url: string, body: string): Promise<Answer> {
  return new Promise<Response>((ok) => ok(f(url, { method: 'POST', body, keepalive: true })))
    .then((r): Answer => [r.status, r.headers.get('Retry-After')])
    .catch((): Answer => [0]);
}

/**
 * 0: delivered (2xx; 202 with some events rejected too: those are invalid and would fail again);
 * 1: retry later (network error, 408, 429, 5xx); 2: drop (400, 401, 403, 413 and other 4xx).
 */
export const verdict = (s: number): number => (s > 199 && s < 300 ? 0 : !s || s == 408 || s == 429 || s > 499 ? 1 : 2);

/**
 * Delay before retry number `n` (1, 2, ...): Retry-After seconds when readable (at most 10 min),
 * else exponential from 1 s, capped at 30 s, with jitter (50-100% of it).
 */
export function backoff(n: number, retryAfter?: string | null, random = Math.random): number {
  const s = +(retryAfter as string);
  return s > 0 ? Math.min(s * 1e3, 6e5) : Math.min(3e4, 500 * 2 ** n) * (0.5 + random() / 2);
}
