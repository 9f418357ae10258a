// Entry point of dist/sdk.js. Usage:
//   <script src="https://gateway.example/sdk.js" data-api-key="KEY" [data-host="https://gateway.example"]></script>
import { browserStorage } from './ids';
import { createTracker, sendBatch, type Tracker } from './tracker';

declare global {
  interface Window {
    __trk?: Tracker;
  }
}

function init(): void {
  if (window.__trk) return; // loaded twice: the first copy stays in charge
  const script = document.currentScript as HTMLScriptElement | null;
  const apiKey = script && script.getAttribute('data-api-key');
  if (!apiKey) {
    console.warn('[trk] data-api-key missing on the sdk.js <script> tag; tracking is off');
    return;
  }
  const base = (script && script.getAttribute('data-host')) || (script && script.src ? new URL(script.src).origin : location.origin);
  const tracker = createTracker({
    apiKey,
    host: base.replace(/\/+$/, ''),
    storage: browserStorage(),
    send: sendBatch,
  });
  window.__trk = tracker;
  tracker.track('PAGE_VIEW');
}

try {
  init();
} catch {
  // Never throw into the host page.
}
