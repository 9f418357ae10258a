// Sets the page's colour scheme before the first paint, as Mantine's ColorSchemeScript would
// (which is inline: the CSP, script-src 'self', forbids that). The choice is the header toggle's
// (light, dark or auto: follow the system), kept by Mantine under this localStorage key.
(() => {
  try {
    const stored = window.localStorage.getItem('mantine-color-scheme-value');
    const dark = stored === 'dark' || (stored !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
    const scheme = dark ? 'dark' : 'light';
    document.documentElement.setAttribute('data-mantine-color-scheme', scheme);
  } catch {
    // no localStorage (private mode, blocked): MantineProvider decides when it mounts
  }
})();
