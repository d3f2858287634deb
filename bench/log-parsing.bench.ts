/**
 * Mitigation Service log parsing (issue 2): throughput of parse-log's file reader (every entry
 * parsed and fed to the cycle counter) against `wc -l` on the same 200 MB file, in the same run,
 * best of 3 each, the file in the page cache for both. The time of a plain Node read of the file
 * (no parsing) is printed to show where the time goes. Memory: peak RSS growth while parsing, sampled.
 * CPU time per MB of each is printed on stderr (wall times swing on a shared machine).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchEntry, limitEntry, ratioEntry } from './bench-kit.js';
import { createCycleCounter } from '../main/core/log-cycles.js';
import { readLogForParseLog } from '../main/cli/commands/parse-log.js';

const TARGET_BYTES = 200 * 1024 * 1024;
const URL = 'https://officeclient.microsoft.com/getexchangemitigations';
const SOURCE = 'Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine';

/** One hourly cycle as a real server writes it (the message texts of eems-domain.md §2). */
function cycleLines(hourStart: number, n: number): string {
  const t = (offsetMs: number) => new Date(hourStart + offsetMs).toISOString();
  const lines = [
    `${t(2031)},EX01,FetchMitigation,S:LogLevel=Information;S:Message=Fetching mitigations from ${URL}`,
    `${t(2033)},EX01,FetchMitigation,S:LogLevel=Information;S:Message=Using Proxy http://10.0.0.10:8080/ To Fetch Configurations`,
    `${t(2040)},EX01,DiagnosticData,S:LogLevel=Information;S:Message=No diagnostic data sent. DataCollectionEnabled is false`,
  ];
  switch (n % 4) {
    case 0:
      lines.push(
        `${t(12402)},EX01,FetchMitigation,S:LogLevel=Warning;S:Message=TLS certificate or its chain validation failed`,
        `${t(12447)},EX01,FetchMitigation,S:LogLevel=Error;S:Message=Exception encountered while fetching mitigations : One or more errors occurred.;S:Source=${SOURCE}`,
      );
      break;
    case 1:
      lines.push(
        `${t(3402)},EX01,FetchMitigation,S:LogLevel=Error;'S:Message=Exception encountered while fetching mitigations : This XML is not deemed safe to consume since Response xml''s signing cert is invalid or not from microsoft';S:Source=${SOURCE}`,
      );
      break;
    default:
      lines.push(
        `${t(3551)},EX01,FetchMitigation,S:LogLevel=Information;S:Message=Mitigation XML received and signature validated. Configs: PING1,M2`,
        `${t(3560)},EX01,ParseMitigation,S:LogLevel=Information;S:Message=Mitigation PING1 is applicable to build 15.2.1748.43`,
        `${t(3602)},EX01,ApplyMitigation,S:LogLevel=Information;S:Message=Applying mitigation PING1 action DoNothing`,
        `${t(13101)},EX01,UpdateAD,S:LogLevel=Information;S:Message=MitigationsApplied updated to PING1,M2.1.0`,
      );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Stream a realistic log of about `bytes` to `file` (never held in memory). */
async function writeLog(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('#Software: Microsoft Exchange Server\r\n#Version: 15.02.1748.043\r\n#Log-type: Mitigation Service Log\r\n');
  out.write('#Date: 2020-01-01T00:00:00.000Z\r\n#Fields: DateTime,ServerName,Component,CustomData\r\n');
  let written = 0;
  let hour = Date.UTC(2020, 0, 1);
  let n = 0;
  while (written < bytes) {
    let block = '';
    while (block.length < 1 << 20) {
      block += cycleLines(hour, n);
      hour += 3_600_000;
      n += 1;
    }
    written += block.length;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Timing {
  ms: number;
  /** CPU time of this process (all its threads); null for a child process. */
  cpuMs: number | null;
  /** Peak RSS growth during the run. */
  peakMb: number;
  entries: number;
}

/** Run `fn` and measure wall time, CPU time and peak RSS growth (sampled every 10 ms). */
async function measure(fn: () => Promise<number>): Promise<Timing> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    const entries = await fn();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms, cpuMs: (used.user + used.system) / 1000, peakMb: (peak - base) / 1048576, entries };
  } finally {
    clearInterval(sampler);
  }
}

async function runWc(file: string): Promise<number> {
  const child = spawn('wc', ['-l', file], { stdio: ['ignore', 'ignore', 'ignore'] });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error('wc -l failed');
  return 0;
}

/** A plain Node read of the whole file into one reused 1 MiB buffer: the floor for any parser. */
async function plainRead(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** parse-log's own call: every entry parsed and counted, none kept (the bench holds no entries). */
async function parseLikeParseLog(file: string): Promise<number> {
  const counter = createCycleCounter();
  const result = await readLogForParseLog(file, 'none', counter, () => undefined);
  if (counter.days().length === 0) throw new Error('no cycles counted: the parser read nothing');
  return result.entries;
}

async function bestOf(runs: number, fn: () => Promise<number>): Promise<Timing[]> {
  const out: Timing[] = [];
  for (let i = 0; i < runs; i += 1) out.push(await measure(fn));
  return out;
}

const fastest = (runs: Timing[]): Timing => runs.reduce((a, b) => (a.ms <= b.ms ? a : b));

export default async function bench(): Promise<BenchEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eems-log-bench-'));
  try {
    const file = join(dir, 'MitigationService20260610-1.LOG');
    await writeLog(file, TARGET_BYTES);
    const mb = (await stat(file)).size / 1048576;
    await plainRead(file); // into the page cache before anything is timed
    // Interleaved, so a burst of load on the shared machine hits every contender alike.
    const wc: Timing[] = [];
    const read: Timing[] = [];
    const parse: Timing[] = [];
    for (let round = 0; round < 3; round += 1) {
      wc.push(...(await bestOf(1, () => runWc(file))));
      read.push(...(await bestOf(1, () => plainRead(file))));
      parse.push(...(await bestOf(1, () => parseLikeParseLog(file))));
    }
    const [w, r, p] = [fastest(wc), fastest(read), fastest(parse)];
    const perMb = (t: Timing) => (t.cpuMs === null ? 'n/a' : `${(t.cpuMs / mb).toFixed(2)} ms CPU/MB`);
    process.stderr.write(
      `log-parsing: ${mb.toFixed(0)} MB, ${p.entries} entries; best wall ms: wc -l ${w.ms.toFixed(0)}, plain read ${r.ms.toFixed(0)}, ` +
        `parse-log reader ${p.ms.toFixed(0)} (${perMb(p)}), plain read ${perMb(r)}\n`,
    );
    const rate = (t: Timing) => mb / (t.ms / 1000);
    return [
      ratioEntry('log-parsing: parse-log reader throughput vs wc -l (200 MB, every entry parsed + cycles counted)', rate(p), 'MB/s', rate(w), { atLeast: 0.3 }),
      limitEntry('log-parsing: extra memory while parsing 200 MB (peak RSS growth)', Math.max(...parse.map((t) => t.peakMb)), 'MB', 64),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
