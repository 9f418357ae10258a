import { describe, expect, it } from 'vitest';
import {
  SESSION_TIMEOUT_MS,
  SID_KEY,
  UID_KEY,
  getUserId,
  memoryStorage,
  newEventId,
  randomHex,
  setUserId,
  touchSession,
} from '../src/ids';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function counter(prefix = 'r') {
  let n = 0;
  return () => `${prefix}${++n}`;
}

describe('touchSession', () => {
  it('starts a session and stores id with last activity', () => {
    const s = memoryStorage();
    expect(touchSession(s, T0, counter('s'))).toBe('s1');
    expect(s.getItem(SID_KEY)).toBe(`s1.${T0}`);
  });

  it('keeps the session within 30 minutes of the last activity, sliding', () => {
    const s = memoryStorage();
    const rand = counter('s');
    const first = touchSession(s, T0, rand);
    expect(touchSession(s, T0 + 29 * MIN, rand)).toBe(first);
    // measured from the last event, not the first: 29 + 29 minutes later is still one session
    expect(touchSession(s, T0 + 58 * MIN, rand)).toBe(first);
    expect(s.getItem(SID_KEY)).toBe(`${first}.${T0 + 58 * MIN}`);
  });

  it('rolls over after 30 minutes of inactivity', () => {
    const s = memoryStorage();
    const rand = counter('s');
    const first = touchSession(s, T0, rand);
    const second = touchSession(s, T0 + SESSION_TIMEOUT_MS, rand);
    expect(second).not.toBe(first);
    expect(touchSession(s, T0 + SESSION_TIMEOUT_MS + MIN, rand)).toBe(second);
  });

  it('starts a new session when the stored value is unreadable', () => {
    for (const junk of ['garbage', 'abc.notanumber', '.123']) {
      const s = memoryStorage();
      s.setItem(SID_KEY, junk);
      expect(touchSession(s, T0, () => 'fresh')).toBe('fresh');
    }
  });

  it('keeps the session when the clock goes backwards', () => {
    const s = memoryStorage();
    const id = touchSession(s, T0, counter());
    expect(touchSession(s, T0 - 5 * MIN, counter('x'))).toBe(id);
  });
});

describe('user id', () => {
  it('creates a stable temp id', () => {
    const s = memoryStorage();
    const rand = counter('u');
    const id = getUserId(s, rand);
    expect(id).toBe('temp:u1');
    expect(getUserId(s, rand)).toBe(id);
    expect(s.getItem(UID_KEY)).toBe(id);
  });

  it('uses random hex by default', () => {
    expect(getUserId(memoryStorage())).toMatch(/^temp:[0-9a-f]{32}$/);
  });

  it('setUserId replaces the id; empty resets to a new temp id', () => {
    const s = memoryStorage();
    getUserId(s);
    setUserId(s, 'user-42');
    expect(getUserId(s)).toBe('user-42');
    setUserId(s, null, () => 'again');
    expect(getUserId(s)).toBe('temp:again');
  });
});

describe('random ids', () => {
  it('randomHex has the requested length and varies', () => {
    expect(randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(randomHex()).not.toBe(randomHex());
  });

  it('newEventId is unique', () => {
    const ids = new Set(Array.from({ length: 100 }, newEventId));
    expect(ids.size).toBe(100);
  });
});
