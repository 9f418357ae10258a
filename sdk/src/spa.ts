// Page views on single-page-app navigations.

/**
 * Calls `nav` after a navigation that should count as a page view: history.pushState or popstate
 * (back/forward) that changes path+search, replaceState that changes the path, and with
 * `hash` routing also the hash (then hashchange counts too). Compared with the last counted URL,
 * so one navigation never counts twice (e.g. pushState followed by a synthetic popstate).
 * `guard` wraps our code so it never throws into the page.
 */
export function watch(w: Window, hash: boolean, nav: () => void, guard: <F extends Function>(f: F) => F): void {
  const h = w.history,
    l = w.location,
    // path (+ search unless `p`) (+ hash with hash routing)
    key = (p?: boolean) => l.pathname + (p ? '' : l.search) + (hash ? l.hash : '');
  let last = key(),
    lastPath = key(true);
  const check = guard((replace?: boolean) => {
    if (replace ? key(true) != lastPath : key() != last) {
      last = key();
      lastPath = key(true);
      nav();
    }
  });
  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = h[m];
    h[m] = function (this: History, ...a: [unknown, string, string?]) {
      const r = orig.apply(this, a);
      check(m > 'q'); // replaceState
      return r;
    };
  }
  w.addEventListener('popstate', () => check());
  if (hash) w.addEventListener('hashchange', () => check());
}
