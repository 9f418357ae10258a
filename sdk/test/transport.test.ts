import { describe, expect, it } from 'vitest';
import { backoff, post, verdict } from '../src/transport';
import { fakeFetch } from './helpers';

describe('verdict', () => {
  it('2xx delivered, network/408/429/5xx retried, other 4xx dropped', () => {
    for (const s of [200, 202, 204]) expect(verdict(s)).toBe(0);
    for (const s of [0, 408, 429, 500, 502, 503]) expect(verdict(s)).toBe(1);
    for (const s of [400, 401, 403, 404, 413]) expect(verdict(s)).toBe(2);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and is capped at 30 s', () => {
    expect(backoff(1, null, () => 0)).toBe(500);
    expect(backoff(1, null, () => 1)).toBe(1000);
    expect(backoff(3, null, () => 1)).toBe(4000);
    expect(backoff(3, null, () => 0.5)).toBe(3000);
    expect(backoff(20, null, () => 1)).toBe(30000);
  });

  it('respects a readable Retry-After (seconds), bounded at 10 minutes', () => {
    expect(backoff(1, '7', () => 1)).toBe(7000);
    expect(backoff(1, '99999', () => 1)).toBe(600000);
    expect(backoff(1, 'Wed, 21 Oct 2015 07:28:00 GMT', () => 1)).toBe(1000);
  });
});

describe('post', () => {
  it('POSTs the body as a string with keepalive and reads status and Retry-After', async () => {
    const f = fakeFetch([503, '5']);
    expect(await post(f.fn, 'https://gw/api/v1/events', '{"apiKey":"k","events":[]}')).toEqual([503, '5']);
    expect(f.reqs[0].url).toBe('https://gw/api/v1/events');
    expect(f.reqs[0].init).toMatchObject({ method: 'POST', keepalive: true });
    expect(typeof f.reqs[0].init.body).toBe('string'); // => Content-Type text/plain, no preflight
  });

  it('answers [0] on network errors and when fetch throws synchronously', async () => {
    expect(await post(fakeFetch('network').fn, 'u', '{}')).toEqual([0]);
    const throwing = (() => {
      throw new Error('blocked');
    }) as unknown as typeof fetch;
    expect(await post(throwing, 'u', '{}')).toEqual([0]);
  });
});
