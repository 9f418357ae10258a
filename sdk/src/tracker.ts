import { getUserId, newEventId, setUserId as storeUserId, touchSession, type KV } from './ids';

export type Context = Record<string, unknown>;

export interface TrackEvent {
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

export interface Batch {
  apiKey: string;
  events: TrackEvent[];
}

export interface TrackerOptions {
  apiKey: string;
  /** Origin (or base URL) of the gateway, without a trailing slash. */
  host: string;
  storage: KV;
  /** Delivers a batch to a URL; must not throw synchronously into the caller (it is wrapped anyway). */
  send: (url: string, batch: Batch) => void;
  now?: () => number;
  page?: () => string;
  referrer?: () => string;
}

/** The public API exposed as window.__trk. */
export interface Tracker {
  track(eventName: string, context?: Context): void;
  trackEvent(event: { eventName: string; context?: Context }): void;
  setUserId(id: string | null): void;
  identify(id: string | null): void;
}

export function createTracker(opts: TrackerOptions): Tracker {
  const now = opts.now || Date.now;
  const page = opts.page || (() => location.href);
  const referrer = opts.referrer || (() => document.referrer);
  const url = opts.host + '/api/v1/events';

  function track(eventName: string, context?: Context): void {
    try {
      if (typeof eventName !== 'string' || !eventName) return;
      const t = now();
      const event: TrackEvent = {
        apiKey: opts.apiKey,
        sessionId: touchSession(opts.storage, t),
        userId: getUserId(opts.storage),
        eventTime: t,
        eventName,
        page: page(),
        referrer: referrer() || undefined,
        context: context && typeof context === 'object' ? context : undefined,
        eventId: newEventId(),
      };
      opts.send(url, { apiKey: opts.apiKey, events: [event] });
    } catch {
      // Never throw into the host page.
    }
  }

  function setUserId(id: string | null): void {
    try {
      storeUserId(opts.storage, id);
    } catch {
      // ignore
    }
  }

  return {
    track,
    trackEvent: (e) => track(e && e.eventName, e && e.context),
    setUserId,
    identify: setUserId,
  };
}

/** POSTs as text/plain (a CORS "simple" request: no preflight); keepalive so it survives navigation. */
export function sendBatch(url: string, batch: Batch): void {
  const body = JSON.stringify(batch);
  if (typeof fetch === 'function') {
    fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/plain' },
      keepalive: true,
      credentials: 'omit',
    }).catch(() => {});
  } else if (navigator.sendBeacon) {
    navigator.sendBeacon(url, body);
  }
}
