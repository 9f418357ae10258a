// Prints the raw and gzipped size of dist/sdk.js; fails above the budget (DESIGN.md: under 2 KB gzipped).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const LIMIT = 2048;
const file = new URL('../dist/sdk.js', import.meta.url);
const raw = readFileSync(file);
const gz = gzipSync(raw, { level: 9 }).length;
console.log(`dist/sdk.js: ${raw.length} bytes raw, ${gz} bytes gzipped (limit ${LIMIT})`);
if (gz > LIMIT) {
  console.error(`SDK too large: ${gz} > ${LIMIT} bytes gzipped`);
  process.exit(1);
}
