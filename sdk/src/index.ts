// Entry point of dist/sdk.js (served by the gateway as /sdk.js). Install with one tag:
//
//   <script defer src="https://HOST/sdk.js" data-api-key="KEY"></script>
//
// data- attributes: data-api-key (required), data-host (gateway base URL; default: this script's
// origin), data-disabled (send nothing), data-respect-dnt (send nothing when Do Not Track is on),
// data-hash-routing (hash changes are page views). A Plausible or Umami tag whose src now points
// here works as is: data-domain (Plausible) or data-website-id (Umami) name the site instead of
// data-api-key, data-host-url (Umami) is read as data-host.
//
// API, window.__trk: track(name, context?), trackEvent({eventName, context?}), identify(userId),
// setUserId(userId), reset(), page(), optOut(), optIn().
//
// Calls made before the script has loaded: install a stub that queues them as
// [method, ...args]; they are replayed, in order, on load (before the automatic page view, so
// an early identify() or optOut() applies to it):
//
//   window.__trk = window.__trk || { q: [] };
//   __trk.q.push(['identify', 'user-42'], ['track', 'signup', { plan: 'pro' }]);
//
// Entries pushed onto that same q array later are executed at once.
import { safeStorage } from './ids';
import { watch } from './spa';
import { createTracker, guard, type Tracker } from './tracker';

type Stub = { q?: unknown[][] | { push(e: unknown[]): void } };

guard(() => {
  const w = window as unknown as Window & { __trk?: Tracker & Stub; doNotTrack?: string },
    d = document,
    n = navigator,
    stub = w.__trk,
    s = (d.currentScript || d.querySelector('script[data-api-key]')) as HTMLScriptElement | null,
    a = s ? s.dataset : {},
    has = (k: string) => a[k] != null && a[k] != 'false';
  if (stub && !stub.q) return; // loaded twice: the first copy stays in charge
  // A site switching from Plausible or Umami keeps its tag: the site is named by its domain or id.
  const key = a.apiKey || (a.domain ? 'domain:' + a.domain : a.websiteId && 'site:' + a.websiteId);
  if (!key) return console.warn('[trk] no data-api-key: off');
  const [t, hide] = createTracker({
      apiKey_: key,
      url_: (a.host || a.hostUrl || new URL(s!.src).origin).replace(/\/+$/, '') + '/api/v1/events',
      st_: safeStorage(() => localStorage),
      fetch_: (u, i) => fetch(u, i),
      beacon_: n.sendBeacon && ((u, b) => n.sendBeacon(u, b)),
      now_: Date.now,
      href_: () => location.href,
      referrer_: () => d.referrer,
      off_: has('disabled') || (has('respectDnt') && (n.doNotTrack || w.doNotTrack) == '1'),
    }),
    run = guard((e: unknown[]) => (t as any)[e[0] as string](...e.slice(1)));
  w.__trk = t;
  if (stub) {
    (stub.q as unknown[][]).forEach(run);
    stub.q = { push: run };
  }
  t.page();
  watch(w, has('hashRouting'), t.page, guard);
  d.addEventListener('visibilitychange', () => d.visibilityState == 'hidden' && hide());
  w.addEventListener('pagehide', hide);
})();
