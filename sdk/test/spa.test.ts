import { describe, expect, it } from 'vitest';
import { watch } from '../src/spa';
import { guard } from '../src/tracker';
import { fakeWindow } from './helpers';

function setup(hash = false, start = 'https://site.example/a?x=1') {
  const w = fakeWindow(start);
  const views: string[] = [];
  watch(w as unknown as Window, hash, () => views.push(w.location.href), guard);
  return { w, h: w.history as unknown as History, views };
}

describe('SPA page views', () => {
  it('pushState to a new path or search counts; to the same URL or only a new hash does not', () => {
    const { h, views } = setup();
    h.pushState({}, '', '/a?x=1'); // same URL (router re-push)
    h.pushState({}, '', '/a?x=1#top'); // hash only
    expect(views).toEqual([]);
    h.pushState({}, '', '/b');
    h.pushState({}, '', '/b?page=2');
    expect(views).toEqual(['https://site.example/b', 'https://site.example/b?page=2']);
  });

  it('replaceState counts only when the path changes', () => {
    const { h, views } = setup();
    h.replaceState({ scroll: 1 }, ''); // state only (e.g. Next.js on load)
    h.replaceState({}, '', '/a?x=2'); // search only (filters)
    expect(views).toEqual([]);
    h.replaceState({}, '', '/c');
    expect(views).toEqual(['https://site.example/c']);
  });

  it('popstate (back/forward) counts once', () => {
    const { w, h, views } = setup();
    h.pushState({}, '', '/b');
    w.popTo('/a?x=1');
    expect(views).toEqual(['https://site.example/b', 'https://site.example/a?x=1']);
    w.dispatch('popstate'); // a second popstate for the same URL
    expect(views).toHaveLength(2);
  });

  it('never counts one navigation twice (pushState then a synthetic popstate)', () => {
    const { w, h, views } = setup();
    h.pushState({}, '', '/b');
    w.dispatch('popstate'); // routers such as single-spa notify each other this way
    expect(views).toEqual(['https://site.example/b']);
  });

  it('keeps the original pushState behaviour and return value', () => {
    const w = fakeWindow();
    const orig = w.history.pushState;
    let calls = 0;
    w.history.pushState = function (this: typeof w.history, ...a: Parameters<typeof orig>) {
      calls++;
      orig.apply(this, a);
      return 'ret' as unknown as void;
    };
    watch(w as unknown as Window, false, () => {}, guard);
    expect(w.history.pushState({ s: 1 }, '', '/z')).toBe('ret');
    expect(calls).toBe(1);
    expect(w.history.state).toEqual({ s: 1 });
    expect(w.location.pathname).toBe('/z');
  });

  it('a throwing page-view callback never reaches the page', () => {
    const w = fakeWindow();
    watch(
      w as unknown as Window,
      false,
      () => {
        throw new Error('boom');
      },
      guard,
    );
    expect(() => (w.history as unknown as History).pushState({}, '', '/b')).not.toThrow();
    expect(() => w.popTo('/a')).not.toThrow();
  });

  describe('hash changes', () => {
    it('do not count without data-hash-routing', () => {
      const { w, views } = setup(false);
      w.hashTo('#/settings');
      expect(views).toEqual([]);
      expect(w.listeners.hashchange).toBeUndefined();
    });

    it('count once (popstate + hashchange) with data-hash-routing', () => {
      const { w, h, views } = setup(true);
      w.hashTo('#/settings');
      expect(views).toEqual(['https://site.example/a?x=1#/settings']);
      h.pushState({}, '', '#/users');
      w.dispatch('hashchange');
      expect(views).toEqual(['https://site.example/a?x=1#/settings', 'https://site.example/a?x=1#/users']);
    });
  });
});
