import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../src/ids';
import { createTracker, type Batch } from '../src/tracker';

function setup(now = 1_700_000_000_000) {
  const sent: { url: string; batch: Batch }[] = [];
  const storage = memoryStorage();
  let t = now;
  const tracker = createTracker({
    apiKey: 'key-1',
    host: 'https://gw.example',
    storage,
    send: (url, batch) => sent.push({ url, batch }),
    now: () => t,
    page: () => 'https://site.example/a?b=1',
    referrer: () => '',
  });
  return { sent, storage, tracker, advance: (ms: number) => (t += ms) };
}

describe('tracker', () => {
  it('sends a batch with one complete event', () => {
    const { sent, tracker } = setup();
    tracker.track('signup', { plan: 'pro' });
    expect(sent).toHaveLength(1);
    const { url, batch } = sent[0];
    expect(url).toBe('https://gw.example/api/v1/events');
    expect(batch.apiKey).toBe('key-1');
    const [e] = batch.events;
    expect(e).toMatchObject({
      apiKey: 'key-1',
      eventName: 'signup',
      eventTime: 1_700_000_000_000,
      page: 'https://site.example/a?b=1',
      context: { plan: 'pro' },
    });
    expect(e.userId).toMatch(/^temp:/);
    expect(e.sessionId).toBeTruthy();
    expect(e.eventId).toBeTruthy();
    // empty referrer is dropped from the JSON body
    expect(JSON.parse(JSON.stringify(batch)).events[0]).not.toHaveProperty('referrer');
  });

  it('trackEvent and identify follow the seed API', () => {
    const { sent, tracker } = setup();
    tracker.identify('user-7');
    tracker.trackEvent({ eventName: 'CLICK', context: { id: 'buy' } });
    expect(sent[0].batch.events[0]).toMatchObject({ eventName: 'CLICK', userId: 'user-7', context: { id: 'buy' } });
  });

  it('keeps ids across events and rolls the session after 30 idle minutes', () => {
    const { sent, tracker, advance } = setup();
    tracker.track('a');
    advance(10 * 60_000);
    tracker.track('b');
    advance(31 * 60_000);
    tracker.track('c');
    const [a, b, c] = sent.map((s) => s.batch.events[0]);
    expect(b.sessionId).toBe(a.sessionId);
    expect(c.sessionId).not.toBe(a.sessionId);
    expect(new Set([a.userId, b.userId, c.userId]).size).toBe(1);
    expect(new Set([a.eventId, b.eventId, c.eventId]).size).toBe(3);
  });

  it('ignores bad input and never throws', () => {
    const sent: unknown[] = [];
    const tracker = createTracker({
      apiKey: 'k',
      host: '',
      storage: {
        getItem: () => {
          throw new Error('storage disabled');
        },
        setItem: () => {},
      },
      send: (u, b) => sent.push([u, b]),
      page: () => '',
      referrer: () => '',
    });
    expect(() => tracker.track('x')).not.toThrow();
    expect(() => tracker.setUserId('u')).not.toThrow();
    const { sent: sent2, tracker: t2 } = setup();
    // @ts-expect-error runtime misuse from plain JS
    expect(() => t2.trackEvent(undefined)).not.toThrow();
    t2.track('');
    expect(sent2).toHaveLength(0);
  });
});
