import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, followStream, SseParser, type StreamStatus } from './sse';

describe('SseParser', () => {
  it('parses messages split across chunks, CRLF and multi-line data', () => {
    const p = new SseParser();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(':1}\n\n: keep-alive\n\nevent: ev')).toEqual([{ event: 'message', data: '{"a":1}', id: null }]);
    expect(p.push('ent\r\nid: 7\r\ndata: line1\r\ndata:line2\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ event: 'event', data: 'line1\nline2', id: '7' }]);
  });

  it('ignores blocks without data', () => {
    const p = new SseParser();
    expect(p.push('event: ping\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x', id: null }]);
  });
});

describe('backoff', () => {
  it('doubles up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

function streamOf(chunks: string[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('followStream', () => {
  it('delivers messages, reconnects with growing backoff after failures and resets after success', async () => {
    const controller = new AbortController();
    const answers: Array<() => Response> = [
      () => new Response('{"data":null,"errors":{"message":"No such API route"}}', { status: 404 }),
      () => new Response('', { status: 503 }),
      () => streamOf(['data: {"eventName":"A"}\n\n', 'data: {"eventName":"B"}\n\n']),
      () => new Response('', { status: 502 }),
    ];
    const open = vi.fn(async () => {
      const next = answers.shift();
      if (!next) {
        controller.abort();
        throw new DOMException('aborted', 'AbortError');
      }
      return next();
    });
    const messages: string[] = [];
    const statuses: StreamStatus[] = [];
    const sleeps: number[] = [];
    await followStream({
      open,
      signal: controller.signal,
      onMessage: (m) => messages.push(m.data),
      onStatus: (s) => statuses.push(s),
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(messages).toEqual(['{"eventName":"A"}', '{"eventName":"B"}']);
    // 404 → 1 s, 503 → 2 s, stream ended after being open → 1 s again, 502 → 2 s.
    expect(sleeps).toEqual([1000, 2000, 1000, 2000]);
    expect(statuses).toContainEqual({ state: 'open' });
    expect(statuses).toContainEqual({ state: 'retrying', error: 'Live feed unavailable (HTTP 404)', retryInMs: 1000 });
  });
});
