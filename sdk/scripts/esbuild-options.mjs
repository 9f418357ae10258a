// esbuild options for dist/sdk.js, shared by build.mjs and the bootstrap test (which runs the real bundle).
export const options = {
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2019'],
  platform: 'browser',
  legalComments: 'none',
  // Only our private names ending in `_` (tracker Deps) are shortened; the public API and the
  // event fields keep their names.
  mangleProps: /_$/,
};
