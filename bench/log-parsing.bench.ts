/**
 * Mitigation Service log parsing: throughput of the streaming parser (+ cycle counter) against
 * `wc -l` on the same 200 MB file, and the extra memory the parse needs (it must stay flat
 * whatever the file size).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchEntry, limitEntry, ratioEntry } from './bench-kit.js';
import { createMitigationLogParser } from '../main/core/parsers/mitigation-log.js';
import { createCycleCounter } from '../main/core/log-cycles.js';

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

async function timeWc(file: string): Promise<number> {
  const start = performance.now();
  const child = spawn('wc', ['-l', file], { stdio: ['ignore', 'ignore', 'ignore'] });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error('wc -l failed');
  return performance.now() - start;
}

/** Parse the file as parse-log does; returns ms and the peak heap+external growth in MB. */
async function timeParse(file: string): Promise<{ ms: number; peakMb: number; entries: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = memory();
  let peak = 0;
  let entries = 0;
  let chunks = 0;
  const start = performance.now();
  const parser = createMitigationLogParser();
  const counter = createCycleCounter();
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    for (const entry of parser.push(chunk)) {
      counter.add(entry);
      entries += 1;
    }
    if ((chunks++ & 31) === 0) peak = Math.max(peak, memory() - base);
  }
  for (const entry of parser.end()) counter.add(entry);
  counter.days();
  const ms = performance.now() - start;
  peak = Math.max(peak, memory() - base);
  return { ms, peakMb: peak / 1048576, entries };
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export default async function bench(): Promise<BenchEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'eems-log-bench-'));
  try {
    const file = join(dir, 'MitigationService20260610-1.LOG');
    await writeLog(file, TARGET_BYTES);
    const mb = (await stat(file)).size / 1048576;
    const wcMs = Math.min(await timeWc(file), await timeWc(file));
    const runs = [await timeParse(file), await timeParse(file)];
    const best = runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
    const peakMb = Math.max(...runs.map((r) => r.peakMb));
    return [
      ratioEntry('log-parsing: streaming parse-log throughput vs wc -l', mb / (best.ms / 1000), 'MB/s', mb / (wcMs / 1000), { atLeast: 0.3 }),
      limitEntry('log-parsing: extra memory while parsing 200 MB (heap+external peak)', peakMb, 'MB', 64),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
