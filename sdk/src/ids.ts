// Visitor and session ids, and storage that never throws. Pure functions over a storage
// object and an explicit `now`, so they are unit-tested without a browser.

/** The subset of Web Storage the SDK uses. */
export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Anonymous `temp:<hex>` id, or the id given to identify(); persisted. */
export const UID_KEY = 'trk_uid';
/** `<sessionId>.<lastActivityMs>` */
export const SID_KEY = 'trk_sid';
/** A session ends after this long without events (DESIGN.md). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** `n` random bytes as lowercase hex; crypto.getRandomValues when available, else Math.random. */
export function randomHex(n = 16): string {
  let b = new Uint8Array(n),
    s = '';
  try {
    crypto.getRandomValues(b);
  } catch {
    b = b.map(() => Math.random() * 256);
  }
  for (const x of b) s += (x + 256).toString(16).slice(1);
  return s;
}

/** Client event id (makes retries harmless): crypto.randomUUID (secure contexts), else random hex. */
export function newEventId(): string {
  try {
    return crypto.randomUUID();
  } catch {
    return randomHex();
  }
}

/** The stored user id, or a new anonymous `temp:<random>` id that is stored for next time. */
export function getUserId(st: KV, random = randomHex): string {
  return st.getItem(UID_KEY) || setUserId(st, '', random);
}

/** Stores a known user id; an empty one starts a fresh anonymous id. Returns the stored id. */
export function setUserId(st: KV, id: unknown, random = randomHex): string {
  const v = id ? '' + id : 'temp:' + random();
  st.setItem(UID_KEY, v);
  return v;
}

/**
 * The session id for an event at `now`; records `now` as the last activity. A missing or
 * unreadable value, or a last activity 30 minutes or more before `now`, starts a new session.
 * A clock that went backwards keeps the session rather than splitting it.
 */
export function touchSession(st: KV, now: number, random = randomHex): string {
  const v = st.getItem(SID_KEY) || '',
    dot = v.lastIndexOf('.');
  let id = v.slice(0, dot);
  if (!(dot > 0 && now - +v.slice(dot + 1) < SESSION_TIMEOUT_MS)) id = random();
  st.setItem(SID_KEY, id + '.' + now);
  return id;
}

/**
 * Storage that never throws: reads and writes go to `get()` (localStorage) while it works,
 * and everything read or written is mirrored in memory. The first failure (SecurityError in
 * sandboxed frames, Safari private mode, quota) switches to the memory copy for good, so ids
 * stay stable for the page's life.
 */
export function safeStorage(get: () => KV | null | undefined): KV {
  const m: Record<string, string | null> = {};
  let s: KV | null | undefined;
  try {
    s = get();
  } catch {}
  return {
    getItem(k) {
      try {
        if (s) m[k] = s.getItem(k);
      } catch {}
      return m[k] || null;
    },
    setItem(k, v) {
      m[k] = v;
      try {
        if (s) s.setItem(k, v);
      } catch {
        s = 0 as never;
      }
    },
  };
}
