// The offline queue: bounded, persisted in storage, cut into request-sized chunks.
import type { KV } from './ids';

export type Context = Record<string, unknown>;

/** One event as API.md's Ingestion section describes it. */
export interface Ev {
  apiKey: string;
  sessionId: string;
  userId: string;
  eventTime: number;
  eventName: string;
  page: string;
  referrer?: string;
  context?: Context;
  eventId: string;
}

export const QUEUE_KEY = 'trk_queue';
/** At most this many events wait; the oldest are dropped first. */
export const MAX_QUEUE = 500;
/** Body bytes per request: keepalive fetch and sendBeacon allow 64 KB; leave room for the wrapper. */
export const MAX_BYTES = 60000;

/** The persisted queue (bounded), or [] if missing or unreadable. */
export function loadQueue(st: KV): Ev[] {
  try {
    const q = JSON.parse(st.getItem(QUEUE_KEY) || '[]');
    return q.filter((e: Ev) => e && e.eventId).slice(-MAX_QUEUE);
  } catch {
    return [];
  }
}

export function saveQueue(st: KV, q: Ev[]): void {
  st.setItem(QUEUE_KEY, JSON.stringify(q));
}

/** The longest prefix of `q` whose JSON fits MAX_BYTES (UTF-8), but at least one event. */
export function take(q: Ev[]): Ev[] {
  let n = 0,
    i = 0;
  for (; i < q.length; i++) if ((n += new Blob([JSON.stringify(q[i])]).size + 1) > MAX_BYTES && i) break;
  return q.slice(0, i);
}
