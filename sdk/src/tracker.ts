// The tracker: builds events, batches them, delivers with retry, keeps the offline queue.
// Everything from the browser is injected (storage, fetch, sendBeacon, clock, URLs), so the
// tests drive it with fakes.
import { getUserId, newEventId, setUserId, SID_KEY, touchSession, type KV } from './ids';
import { loadQueue, MAX_QUEUE, saveQueue, take, type Context, type Ev } from './queue';
import { backoff, post, verdict, type Answer } from './transport';

export const OPTOUT_KEY = 'trk_optout';
/** A batch is sent once this many events wait (else after BATCH_MS). */
export const BATCH_SIZE = 10;
export const BATCH_MS = 1000;

/** Names end in `_`: private, so the build shortens them (esbuild mangleProps). */
export interface Deps {
  apiKey_: string;
  /** Full ingestion URL: `${host}/api/v1/events` */
  url_: string;
  /** Must not throw (see safeStorage). */
  st_: KV;
  fetch_: typeof fetch;
  /** navigator.sendBeacon, bound; without it, hiding the page flushes with keepalive fetch. */
  beacon_?: (url: string, body: string) => boolean;
  now_: () => number;
  href_: () => string;
  referrer_: () => string;
  /** data-disabled, or Do Not Track with data-respect-dnt: nothing is ever sent. */
  off_?: boolean;
}

/** The public API, window.__trk. */
export interface Tracker {
  track(eventName: string, context?: Context): void;
  trackEvent(event: { eventName: string; context?: Context }): void;
  setUserId(id: string | null): void;
  identify(id: string | null): void;
  reset(): void;
  page(): void;
  optOut(): void;
  optIn(): void;
}

/** Runs `f`, swallowing anything it throws: nothing of ours may throw into the host page. */
export const guard = <F extends Function>(f: F): F =>
  ((...a: unknown[]) => {
    try {
      return f(...a);
    } catch {}
  }) as unknown as F;

const cut = (u: string) => u && u.slice(0, 2048);

/** Returns the API and the handler for "page is being hidden / unloaded". */
export function createTracker(o: Deps): [Tracker, () => void] {
  const st = o.st_,
    on = () => !o.off_ && st.getItem(OPTOUT_KEY) != '1',
    body = (b: Ev[]) => JSON.stringify({ apiKey: o.apiKey_, events: b }),
    save = () => saveQueue(st, q),
    // removes delivered (or dropped) events
    done = (b: Ev[]) => {
      q = q.filter((e) => !b.includes(e));
      save();
    },
    sched = (ms: number) => {
      timer = timer || setTimeout(flush, ms);
    };
  let q = loadQueue(st),
    inFlight: Ev[] = [],
    timer: ReturnType<typeof setTimeout> | 0 = 0,
    fails = 0,
    wait = 0, // the first batch of a page goes out at once (next tick), later ones wait BATCH_MS
    warned = 0,
    lastPage = '';

  // Sends the oldest chunk; one request at a time; keeps going while events wait.
  const flush = guard(() => {
    clearTimeout(timer as number);
    timer = 0;
    wait = BATCH_MS;
    const b = take(q);
    if (inFlight.length || !b.length || !on()) return;
    inFlight = b;
    post(o.fetch_, o.url_, body(b)).then(
      guard(([s, retryAfter]: Answer) => {
        inFlight = [];
        const v = verdict(s);
        if (v == 1) return sched(backoff(++fails, retryAfter));
        if (v && !warned++) console.warn('[trk] dropped, HTTP ' + s);
        fails = 0;
        done(b);
        flush();
      }),
    );
  });

  function track(eventName: string, context?: Context, referrer?: string) {
    if (!eventName || typeof eventName != 'string' || !on()) return;
    const t = o.now_(),
      e: Ev = {
        apiKey: o.apiKey_,
        sessionId: touchSession(st, t),
        userId: getUserId(st),
        eventTime: t,
        eventName,
        page: cut(o.href_()),
        referrer: cut(referrer as string) || undefined,
        // a snapshot: later changes by the page don't leak in; a cyclic object throws (event dropped)
        context: context && typeof context == 'object' ? JSON.parse(JSON.stringify(context)) : undefined,
        eventId: newEventId(),
      };
    q.push(e);
    q = q.slice(-MAX_QUEUE);
    save();
    if (!fails && q.length - inFlight.length >= BATCH_SIZE) flush();
    else sched(wait);
  }

  const identify = guard((id: string | null) => void setUserId(st, id)),
    page = guard(() => {
      const h = o.href_();
      track('PAGE_VIEW', undefined, lastPage || o.referrer_());
      lastPage = h;
    });

  return [
    {
      track: guard(track),
      trackEvent: guard((e: { eventName: string; context?: Context }) => track(e.eventName, e.context)),
      setUserId: identify,
      identify,
      reset: guard(() => {
        setUserId(st, '');
        st.setItem(SID_KEY, '');
      }),
      page,
      optOut: guard(() => {
        st.setItem(OPTOUT_KEY, '1');
        q = [];
        save();
      }),
      optIn: guard(() => st.setItem(OPTOUT_KEY, '')),
    },
    // Page hidden or unloading: hand what waits to sendBeacon, which outlives the page. While
    // the server is failing (backing off) the events stay in storage for the next load instead.
    guard(() => {
      if (fails || !on()) return;
      if (!o.beacon_) return flush();
      let rest = q.filter((e) => !inFlight.includes(e)),
        b: Ev[];
      while ((b = take(rest)).length && o.beacon_(o.url_, body(b))) {
        done(b);
        rest = rest.slice(b.length);
      }
    }),
  ];
}
