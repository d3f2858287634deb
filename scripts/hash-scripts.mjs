// Writes main/engine/hosts/script-hashes.json: the SHA-256 of every bundled .ps1. The scripts are
// unpacked next to app.asar (powershell.exe cannot read inside it), so asar integrity does not cover
// them; the list is compiled into the app and the PowerShell host checks the files against it at
// start. Run `npm run hash-scripts` after changing a script (a test fails until you do).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../main/engine/hosts/scripts/', import.meta.url);
const hashes = Object.fromEntries(
  readdirSync(dir).filter((f) => f.endsWith('.ps1')).sort()
    .map((f) => [f, createHash('sha256').update(readFileSync(new URL(f, dir))).digest('hex')]),
);
writeFileSync(new URL('../main/engine/hosts/script-hashes.json', import.meta.url), `${JSON.stringify(hashes, null, 2)}\n`);
console.log(`script-hashes.json: ${Object.keys(hashes).length} scripts`);
