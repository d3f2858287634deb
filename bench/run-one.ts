/** Runs one compiled benchmark module and prints its entries as one JSON line (used by npm run bench). */
import { pathToFileURL } from 'node:url';
import type { Benchmark } from './bench-kit.js';

const file = process.argv[2];
if (!file) throw new Error('usage: run-one <bench module>');
const mod = (await import(pathToFileURL(file).href)) as { default: Benchmark };
const entries = await mod.default();
process.stdout.write(`\nBENCH-RESULT ${JSON.stringify(entries)}\n`);
