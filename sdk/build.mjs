// Bundles src/index.ts into one minified IIFE: dist/sdk.js (served by the gateway as /sdk.js).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/sdk.js',
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2018'],
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'info',
});
