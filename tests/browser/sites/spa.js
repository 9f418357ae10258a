// A tiny router: history API navigations, shown in #route.
function show() {
  document.getElementById('route').textContent = location.pathname + location.search;
}
var actions = {
  'push-a': function () { history.pushState({}, '', '/spa/a'); },
  'replace-a-query': function () { history.replaceState({}, '', '/spa/a?tab=2'); },
  'push-b': function () { history.pushState({}, '', '/spa/b'); },
  // Some routers announce their own pushState with a synthetic popstate event.
  'router-push-c': function () {
    history.pushState({}, '', '/spa/c');
    window.dispatchEvent(new PopStateEvent('popstate', { state: {} }));
  },
  back: function () { history.back(); },
  forward: function () { history.forward(); },
};
document.addEventListener('click', function (e) {
  var action = e.target instanceof HTMLElement && actions[e.target.id];
  if (action) {
    action();
    show();
  }
});
window.addEventListener('popstate', show);
show();
