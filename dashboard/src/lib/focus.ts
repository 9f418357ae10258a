/**
 * Keeps keyboard focus somewhere sensible while the page re-renders after an action: for `ms`,
 * whenever focus falls to the page body (its element was replaced or removed), it is put on
 * `fallback()`. Stops early when the user focuses something else. Returns a function that stops it.
 */
export function keepFocus(fallback: () => HTMLElement | null, ms = 8000): () => void {
  const started = document.activeElement;
  let stopped = false;
  const lost = () => {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  };
  const check = () => {
    if (stopped || !lost()) return;
    fallback()?.focus();
  };
  const onFocusIn = (event: FocusEvent) => {
    if (event.target !== started && event.target !== fallback()) stop();
  };
  const timer = setInterval(check, 100);
  const end = setTimeout(() => stop(), ms);
  document.addEventListener('focusin', onFocusIn);
  function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    clearTimeout(end);
    document.removeEventListener('focusin', onFocusIn);
  }
  queueMicrotask(check);
  return stop;
}
