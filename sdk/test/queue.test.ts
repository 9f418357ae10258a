import { describe, expect, it } from 'vitest';
import { MAX_BYTES, MAX_QUEUE, QUEUE_KEY, loadQueue, saveQueue, take, type Ev } from '../src/queue';
import { memStorage } from './helpers';

const ev = (i: number, extra = ''): Ev => ({
  apiKey: 'k',
  sessionId: 's',
  userId: 'u',
  eventTime: i,
  eventName: 'E' + extra,
  page: 'https://x/',
  eventId: 'id' + i,
});

describe('queue', () => {
  it('round-trips through storage and keeps only the newest MAX_QUEUE', () => {
    const s = memStorage();
    saveQueue(
      s,
      Array.from({ length: MAX_QUEUE + 20 }, (_, i) => ev(i)),
    );
    const q = loadQueue(s);
    expect(q).toHaveLength(MAX_QUEUE);
    expect(q[0].eventId).toBe('id20');
    expect(q[MAX_QUEUE - 1].eventId).toBe(`id${MAX_QUEUE + 19}`);
  });

  it('ignores a missing or corrupt stored queue and junk entries', () => {
    expect(loadQueue(memStorage())).toEqual([]);
    const s = memStorage();
    s.setItem(QUEUE_KEY, '{not json');
    expect(loadQueue(s)).toEqual([]);
    s.setItem(QUEUE_KEY, '{"a":1}');
    expect(loadQueue(s)).toEqual([]);
    s.setItem(QUEUE_KEY, JSON.stringify([null, 3, ev(1)]));
    expect(loadQueue(s)).toEqual([ev(1)]);
  });

  it('take cuts the queue into chunks under MAX_BYTES of UTF-8', () => {
    const small = Array.from({ length: 5 }, (_, i) => ev(i));
    expect(take(small)).toEqual(small);
    expect(take([])).toEqual([]);
    // 3-byte characters: 10 events of ~3 x 9000 bytes each
    const big = Array.from({ length: 10 }, (_, i) => ev(i, '€'.repeat(9000)));
    const first = take(big);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(10);
    expect(new Blob([JSON.stringify({ apiKey: 'k', events: first })]).size).toBeLessThan(64 * 1024);
    expect(new Blob([JSON.stringify(first)]).size).toBeLessThanOrEqual(MAX_BYTES);
    // a single oversize event still goes (alone), so the queue can't get stuck
    const huge = [ev(0, 'x'.repeat(MAX_BYTES + 1)), ev(1)];
    expect(take(huge)).toHaveLength(1);
  });
});
