// Visitor and session ids. Pure functions over a storage object and an explicit `now`
// so they can be unit-tested without a browser.

/** The subset of Web Storage the SDK uses. */
export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const UID_KEY = 'trk_uid';
export const SID_KEY = 'trk_sid';
/** A session ends after this long without events (DESIGN.md). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** `bytes` random bytes as lowercase hex; crypto.getRandomValues when available. */
export function randomHex(bytes = 16): string {
  const buf = new Uint8Array(bytes);
  const c = typeof crypto !== 'undefined' ? crypto : undefined;
  if (c && c.getRandomValues) c.getRandomValues(buf);
  else for (let i = 0; i < bytes; i++) buf[i] = (Math.random() * 256) | 0;
  let out = '';
  for (let i = 0; i < bytes; i++) out += (buf[i] + 256).toString(16).slice(1);
  return out;
}

/** Client event id: crypto.randomUUID when available (secure contexts), else random hex. */
export function newEventId(): string {
  const c = typeof crypto !== 'undefined' ? crypto : undefined;
  return c && c.randomUUID ? c.randomUUID() : randomHex(16);
}

/** The stored user id, or a new anonymous `temp:<random>` id that is stored for next time. */
export function getUserId(storage: KV, random: () => string = randomHex): string {
  const existing = storage.getItem(UID_KEY);
  if (existing) return existing;
  const id = 'temp:' + random();
  storage.setItem(UID_KEY, id);
  return id;
}

/** Stores a known user id; an empty id goes back to a fresh anonymous one. */
export function setUserId(storage: KV, id: string | null | undefined, random: () => string = randomHex): string {
  const value = id ? String(id) : 'temp:' + random();
  storage.setItem(UID_KEY, value);
  return value;
}

/**
 * The session id for an event at `now`, and records `now` as the last activity.
 * Stored as `<sessionId>.<lastActivityMs>`; a missing or unreadable value, or one whose
 * last activity is 30 minutes or more before `now`, starts a new session.
 */
export function touchSession(storage: KV, now: number, random: () => string = randomHex): string {
  const stored = storage.getItem(SID_KEY) || '';
  const dot = stored.lastIndexOf('.');
  const last = dot > 0 ? Number(stored.slice(dot + 1)) : NaN;
  let id = stored.slice(0, dot);
  // A clock that went backwards (last > now) keeps the session rather than splitting it.
  if (!(now - last < SESSION_TIMEOUT_MS)) id = random();
  storage.setItem(SID_KEY, id + '.' + now);
  return id;
}

/** In-memory storage: the fallback when localStorage is unavailable or throws. */
export function memoryStorage(): KV {
  const m: Record<string, string> = {};
  return {
    getItem: (k) => (k in m ? m[k] : null),
    setItem: (k, v) => {
      m[k] = String(v);
    },
  };
}

/** localStorage if it is usable, else memory storage (private modes, disabled storage, sandboxed frames). */
export function browserStorage(): KV {
  try {
    const ls = window.localStorage;
    const probe = '__trk';
    ls.setItem(probe, probe);
    ls.removeItem(probe);
    return ls;
  } catch {
    return memoryStorage();
  }
}
