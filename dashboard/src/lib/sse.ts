/**
 * Server-Sent Events over fetch(): EventSource cannot send an Authorization header, so the
 * dashboard reads the stream itself. `SseParser` turns text chunks into messages (per the
 * HTML spec's event-stream format); `followStream` keeps a stream open, reconnecting with
 * exponential backoff.
 */

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;

  /** Feed a chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    // A trailing '\r' may be the first half of '\r\n': keep it for the next chunk.
    const lines = this.buffer.split(/\r\n|\n|\r(?!$)/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) return null; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }
}

/** 1 s, 2 s, 4 s … capped at `max`. */
export function backoffDelay(attempt: number, base = 1_000, max = 30_000): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt));
}

export type StreamStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'retrying'; error: string; retryInMs: number };

export interface FollowOptions {
  open: (signal: AbortSignal) => Promise<Response>;
  onMessage: (message: SseMessage) => void;
  onStatus: (status: StreamStatus) => void;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Read the stream until `signal` aborts, reconnecting after every failure or end. */
export async function followStream(options: FollowOptions): Promise<void> {
  const { open, onMessage, onStatus, signal } = options;
  const sleep = options.sleep ?? abortableSleep;
  let attempt = 0;
  while (!signal.aborted) {
    let error = 'The live feed closed';
    try {
      onStatus({ state: 'connecting' });
      const res = await open(signal);
      if (!res.ok || !res.body) throw new Error(`Live feed unavailable (HTTP ${res.status})`);
      onStatus({ state: 'open' });
      attempt = 0;
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) onMessage(message);
        }
      } finally {
        reader.releaseLock();
      }
    } catch (err) {
      if (signal.aborted) return;
      error = err instanceof Error ? err.message : String(err);
    }
    if (signal.aborted) return;
    const delay = backoffDelay(attempt++);
    onStatus({ state: 'retrying', error, retryInMs: delay });
    await sleep(delay, signal);
  }
}
