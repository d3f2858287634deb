/**
 * Mitigation Service log parsing (issues 2 and 14.12): throughput of parse-log's file reader (every
 * entry parsed and fed to the cycle counter) against two real CSV readers on the same 200 MB file,
 * in the same run, best of 3 each, the file in the page cache for all: Python's `csv` module (C
 * code, rows counted) and the `csv-parse` npm package (streamed, records counted). Goal: at least 2x
 * the faster of the two. `wc -l` is printed as the physical limit (it only counts line ends), not a goal. The time of a plain Node read of the file
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
import { type BenchEntry, infoEntry, limitEntry, ratioEntry } from './bench-kit.js';
import { createReadStream } from 'node:fs';
import { parse as csvParse } from 'csv-parse';
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

/** Python's csv module over the file: every row split into fields, counted. */
const PYTHON_CSV = [
  'import csv, sys',
  'n = 0',
  "with open(sys.argv[1], newline='', encoding='utf-8') as fh:",
  '    for row in csv.reader(fh):',
  '        n += 1',
  'print(n)',
].join('\n');

async function runPythonCsv(file: string): Promise<number> {
  const child = spawn('python3', ['-c', PYTHON_CSV, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error('python3 csv failed');
  return Number(out.trim());
}

/** csv-parse streamed over the file: every record split into fields, counted (none kept). */
async function runCsvParse(file: string): Promise<number> {
  const parser = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(csvParse({ relax_column_count: true, relax_quotes: true, comment: '#', skip_empty_lines: true }));
  let n = 0;
  for await (const record of parser as AsyncIterable<string[]>) if (record.length > 0) n += 1;
  return n;
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
    const python: Timing[] = [];
    const csv: Timing[] = [];
    for (let round = 0; round < 3; round += 1) {
      wc.push(...(await bestOf(1, () => runWc(file))));
      read.push(...(await bestOf(1, () => plainRead(file))));
      parse.push(...(await bestOf(1, () => parseLikeParseLog(file))));
      python.push(...(await bestOf(1, () => runPythonCsv(file))));
      csv.push(...(await bestOf(1, () => runCsvParse(file))));
    }
    const [w, r, p, py, cp] = [fastest(wc), fastest(read), fastest(parse), fastest(python), fastest(csv)];
    const perMb = (t: Timing) => (t.cpuMs === null ? 'n/a' : `${(t.cpuMs / mb).toFixed(2)} ms CPU/MB`);
    process.stderr.write(
      `log-parsing: ${mb.toFixed(0)} MB, ${p.entries} entries; best wall ms: wc -l ${w.ms.toFixed(0)}, plain read ${r.ms.toFixed(0)}, ` +
        `parse-log reader ${p.ms.toFixed(0)} (${perMb(p)}), python csv ${py.ms.toFixed(0)} (${py.entries} rows), csv-parse ${cp.ms.toFixed(0)} (${cp.entries} records), plain read ${perMb(r)}\n`,
    );
    const rate = (t: Timing) => mb / (t.ms / 1000);
    const peer = rate(py) >= rate(cp) ? { name: "Python's csv module", t: py } : { name: 'csv-parse', t: cp };
    return [
      ratioEntry(`log-parsing: parse-log reader vs the faster peer (${peer.name}; 200 MB, every entry parsed + cycles counted)`, rate(p), 'MB/s', rate(peer.t), { atLeast: 2 }),
      infoEntry("log-parsing: parse-log reader vs Python's csv module (each peer shown; the goal is on the faster)", rate(p), 'MB/s', rate(py)),
      infoEntry('log-parsing: parse-log reader vs csv-parse (npm)', rate(p), 'MB/s', rate(cp)),
      infoEntry('log-parsing: parse-log reader vs wc -l (the physical limit: line ends only; no goal)', rate(p), 'MB/s', rate(w)),
      limitEntry('log-parsing: extra memory while parsing 200 MB (peak RSS growth)', Math.max(...parse.map((t) => t.peakMb)), 'MB', 64),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
