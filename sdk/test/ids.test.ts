import { describe, expect, it } from 'vitest';
import {
  SESSION_TIMEOUT_MS,
  SID_KEY,
  UID_KEY,
  getUserId,
  newEventId,
  randomHex,
  safeStorage,
  setUserId,
  touchSession,
} from '../src/ids';
import { memStorage, throwingStorage } from './helpers';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function counter(prefix = 'r') {
  let n = 0;
  return () => `${prefix}${++n}`;
}

describe('touchSession', () => {
  it('starts a session and stores id with last activity', () => {
    const s = memStorage();
    expect(touchSession(s, T0, counter('s'))).toBe('s1');
    expect(s.getItem(SID_KEY)).toBe(`s1.${T0}`);
  });

  it('keeps the session within 30 minutes of the last activity, sliding', () => {
    const s = memStorage();
    const rand = counter('s');
    const first = touchSession(s, T0, rand);
    expect(touchSession(s, T0 + 29 * MIN, rand)).toBe(first);
    // measured from the last event, not the first: 29 + 29 minutes later is still one session
    expect(touchSession(s, T0 + 58 * MIN, rand)).toBe(first);
    expect(s.getItem(SID_KEY)).toBe(`${first}.${T0 + 58 * MIN}`);
  });

  it('rolls over after 30 minutes of inactivity', () => {
    const s = memStorage();
    const rand = counter('s');
    const first = touchSession(s, T0, rand);
    expect(touchSession(s, T0 + SESSION_TIMEOUT_MS - 1, rand)).toBe(first);
    const second = touchSession(s, T0 + 2 * SESSION_TIMEOUT_MS - 1, rand);
    expect(second).not.toBe(first);
    expect(touchSession(s, T0 + 2 * SESSION_TIMEOUT_MS, rand)).toBe(second);
  });

  it('starts a new session when the stored value is unreadable or cleared', () => {
    for (const junk of ['garbage', 'abc.notanumber', '.123', '']) {
      const s = memStorage();
      s.setItem(SID_KEY, junk);
      expect(touchSession(s, T0, () => 'fresh')).toBe('fresh');
    }
  });

  it('keeps the session when the clock goes backwards', () => {
    const s = memStorage();
    const id = touchSession(s, T0, counter());
    expect(touchSession(s, T0 - 5 * MIN, counter('x'))).toBe(id);
  });
});

describe('user id', () => {
  it('creates a stable temp id', () => {
    const s = memStorage();
    const rand = counter('u');
    const id = getUserId(s, rand);
    expect(id).toBe('temp:u1');
    expect(getUserId(s, rand)).toBe(id);
    expect(s.getItem(UID_KEY)).toBe(id);
  });

  it('uses random hex by default', () => {
    expect(getUserId(memStorage())).toMatch(/^temp:[0-9a-f]{32}$/);
  });

  it('setUserId persists the id; empty resets to a new temp id', () => {
    const s = memStorage();
    getUserId(s);
    setUserId(s, 'user-42');
    expect(getUserId(memStorage(s.map))).toBe('user-42'); // same storage, "after reload"
    setUserId(s, null, () => 'again');
    expect(getUserId(s)).toBe('temp:again');
  });
});

describe('random ids', () => {
  it('randomHex has the requested length and varies', () => {
    expect(randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(randomHex()).not.toBe(randomHex());
  });

  it('newEventId is a unique uuid', () => {
    const ids = new Set(Array.from({ length: 100 }, newEventId));
    expect(ids.size).toBe(100);
    expect(newEventId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('safeStorage', () => {
  it('passes through to working storage (other tabs see writes)', () => {
    const ls = memStorage();
    const s = safeStorage(() => ls);
    s.setItem('a', '1');
    expect(ls.getItem('a')).toBe('1');
    ls.setItem('a', '2'); // written by another tab
    expect(s.getItem('a')).toBe('2');
  });

  it('falls back to memory when getting localStorage throws', () => {
    const s = safeStorage(() => {
      throw new Error('SecurityError');
    });
    expect(s.getItem('a')).toBeNull();
    s.setItem('a', '1');
    expect(s.getItem('a')).toBe('1');
  });

  it('falls back to memory when storage methods throw, keeping ids stable', () => {
    const s = safeStorage(() => throwingStorage);
    const id = getUserId(s);
    expect(id).toMatch(/^temp:/);
    expect(getUserId(s)).toBe(id);
  });

  it('keeps ids stable when writes fail but reads work (old Safari private mode: quota 0)', () => {
    const s = safeStorage(() => ({
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    }));
    const id = getUserId(s);
    expect(getUserId(s)).toBe(id);
  });

  it('keeps values already read when a later write fails (quota)', () => {
    const ls = memStorage();
    ls.setItem(UID_KEY, 'temp:old');
    let full = false;
    const s = safeStorage(() => ({
      getItem: (k) => ls.getItem(k),
      setItem: (k, v) => {
        if (full) throw new Error('QuotaExceededError');
        ls.setItem(k, v);
      },
    }));
    expect(getUserId(s)).toBe('temp:old');
    full = true;
    s.setItem('trk_queue', 'x'.repeat(10));
    expect(getUserId(s)).toBe('temp:old');
    expect(s.getItem('trk_queue')).toBe('x'.repeat(10));
  });
});
