import { describe, expect, it } from 'vitest';
import { ApiError, RequestTimeout } from '../api/client';
import { healthKey } from '../api/hooks';
import { reachableAfter } from './connectivity';

describe('reachableAfter', () => {
  const stats = ['stats', null, 'summary'];

  it('counts network failures and gateway errors as unreachable, other answers as reachable', () => {
    expect(reachableAfter(new ApiError(0, { message: 'Failed to fetch' }), stats)).toBe(false);
    expect(reachableAfter(new ApiError(502, {}), stats)).toBe(false);
    expect(reachableAfter(new ApiError(500, {}), stats)).toBe(true);
  });

  it('leaves the banner alone when a report times out, not when the health check does', () => {
    expect(reachableAfter(new RequestTimeout(15_000), stats)).toBeNull();
    expect(reachableAfter(new RequestTimeout(15_000), healthKey)).toBe(false);
  });
});
