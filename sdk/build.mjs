// Bundles src/index.ts into one minified IIFE: dist/sdk.js (served by the gateway as /sdk.js).
import { build } from 'esbuild';
import { options } from './scripts/esbuild-options.mjs';

await build({ ...options, outfile: 'dist/sdk.js', logLevel: 'info' });
