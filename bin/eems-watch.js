#!/usr/bin/env node
// The eems-watch command. The TypeScript sources are compiled by `npm ci` (the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('eems-watch: the compiled program is missing. Run `npm ci` (or `npm run build`) in the project folder first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
