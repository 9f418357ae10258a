// Buttons of the static test pages (same-origin script, no inline handlers).
document.addEventListener('click', function (e) {
  var el = e.target;
  if (!(el instanceof HTMLElement)) return;
  if (el.id === 'signup') window.__trk.track('signup', { plan: 'pro' });
  if (el.id === 'leave') {
    window.__trk.track('checkout', { total: 42 });
    location.href = el.dataset.to;
  }
});
