/**
 * eems-watch verify-feed: checks a mitigation definitions XML as EEMS would (contracts.md) and
 * says which check failed. Exit 0 valid, 1 invalid, 2 bad input. With --fetch, the file is
 * fetched from the EEMS endpoint first (diagnosis only: nothing is ever applied).
 */
import { open, readFile } from 'node:fs/promises';
import { type CliIo, type Command, UsageError, parseCommandArgs, writeJson } from '../cli-io.js';
import { verifyFeed, type FeedVerification } from '../../core/feed/verify-feed.js';
import { readPemBundle } from '../../core/feed/cert-chain.js';
import { DEFAULT_MAX_BYTES } from '../../core/feed/safe-xml.js';
import { FEED_URL, fetchFeed } from '../../engine/feed-fetch.js';
import { compareFeedWithState, type FeedServerComparison } from '../../core/feed/compare-feed.js';
import { readFailureReason, readKnowledge, readStateFile } from '../input-files.js';
import type { Diagnosis } from '../../core/model.js';

const USAGE = `Usage: eems-watch verify-feed FILE [--at ISO-TIME] [--trust-root PEM]... [--state FILE] [--json]
       eems-watch verify-feed --fetch [--url URL] [--proxy URL] [--timeout SECONDS] [--at ISO-TIME] [--json]

Checks a mitigation definitions XML (what EEMS fetches from ${FEED_URL})
as EEMS would: the XML signature, the signing certificate chain up to Microsoft Root Certificate
Authority 2011, the certificates' validity at --at (default now) and the signing certificate's key
usage. Prints every failed check, the chain and the definitions the signature covers.

  --at ISO-TIME     check the certificates at this time, e.g. 2021-09-15T17:00:00Z
  --trust-root PEM  also trust this root certificate (PEM file; for tests and private labs)
  --state FILE      compare the signed definitions with a state file: per server, the published
                    mitigations it lacks and the applied ones no longer published ("servers")
  --knowledge FILE  a knowledge update: its trust anchors and leaf EKUs (feedTrust) are used, and
                    its mitigations to match Config ids to applied IDs
  --fetch           fetch the definitions from the endpoint instead of reading FILE
  --url URL         the endpoint (default ${FEED_URL})
  --proxy URL       the proxy to fetch through (default: the system's HTTPS_PROXY)
  --timeout SECONDS give up after this long (default 30)
  --json            print one JSON document

Exit code: 0 valid, 1 invalid (or the fetch failed), 2 bad input.`;

interface FetchInfo {
  url: string;
  ok: boolean;
  diagnosis: Diagnosis | null;
}

async function readInput(file: string): Promise<Buffer> {
  // Read at most one byte over the limit: verifyFeed then reports too-large without loading a huge file.
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    const why = readFailureReason(error);
    throw new UsageError(`cannot read ${file}: ${why}. Give the path of a mitigation definitions XML file.`);
  });
  try {
    const buffer = Buffer.alloc(DEFAULT_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    const why = readFailureReason(error);
    throw new UsageError(`cannot read ${file}: ${why}. Give the path of a mitigation definitions XML file.`);
  } finally {
    await handle.close();
  }
}

async function readTrustRoots(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch(() => {
      throw new UsageError(`cannot read the --trust-root file ${path}`);
    });
    if (readPemBundle(text).length === 0) throw new UsageError(`--trust-root ${path} holds no PEM certificate`);
    out.push(text);
  }
  return out;
}

function parseAt(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime())) throw new UsageError(`--at: '${text}' is not an ISO time; write e.g. 2021-09-15T17:00:00Z`);
  return at;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout: '${text}' is not a number of seconds`);
  return seconds * 1000;
}

export const command: Command = {
  name: 'verify-feed',
  summary: 'Check a mitigation definitions XML as EEMS would',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        at: { type: 'string' },
        'trust-root': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        fetch: { type: 'boolean' },
        url: { type: 'string' },
        proxy: { type: 'string' },
        timeout: { type: 'string' },
        state: { type: 'string' },
        knowledge: { type: 'string' },
      },
      true,
    );
    if (values.fetch && positionals.length > 0) throw new UsageError('give either FILE or --fetch, not both');
    if (!values.fetch && positionals.length !== 1) throw new UsageError('give exactly one FILE (or --fetch); see --help');
    const at = parseAt(values.at);
    const extraTrustedRoots = await readTrustRoots(values['trust-root'] ?? []);
    const timeoutMs = parseTimeout(values.timeout);
    const state = values.state ? await readStateFile(values.state, io) : null;
    const knowledge = await readKnowledge(values.knowledge);

    let input: Buffer | string;
    let fetchInfo: FetchInfo | null = null;
    if (values.fetch) {
      const url = values.url ?? FEED_URL;
      const fetched = await fetchFeed({ url, proxy: values.proxy ?? null, timeoutMs });
      if (!fetched.ok) {
        fetchInfo = { url, ok: false, diagnosis: fetched.diagnosis };
        const empty: FeedVerification = { verdict: 'invalid', reasons: [], signatureValid: false, chain: [], checkedAt: at.toISOString(), configs: [] };
        if (values.json) writeJson(io, { ...empty, fetch: fetchInfo });
        else io.stdout(renderFetchFailure(fetchInfo));
        return 1;
      }
      fetchInfo = { url, ok: true, diagnosis: null };
      input = fetched.xml;
    } else {
      input = await readInput(positionals[0] as string);
    }
    const result = verifyFeed(input, { at, extraTrustedRoots, trust: knowledge.feedTrust });
    // Only signed (and trusted) definitions are compared: an unsigned file says nothing about what EEMS would apply.
    const servers = state ? (result.configs.length > 0 ? compareFeedWithState(result.configs, state, knowledge).servers : []) : null;
    const doc = { ...result, ...(fetchInfo ? { fetch: fetchInfo } : {}), ...(servers ? { servers } : {}) };
    if (values.json) writeJson(io, doc);
    else io.stdout(renderHuman(result, fetchInfo) + (servers ? renderComparison(servers, result.configs.length > 0) : ''));
    return result.verdict === 'valid' ? 0 : 1;
  },
};

function renderComparison(servers: FeedServerComparison[], hasConfigs: boolean): string {
  if (!hasConfigs) return '\nNo comparison with the servers: the file has no signed definitions to compare.\n';
  const ids = (items: { id: string }[]) => (items.length > 0 ? items.map((i) => i.id).join(', ') : 'none');
  const lines = ['', 'Compared with the servers of the state file:'];
  for (const s of servers) {
    if (s.error) {
      lines.push(`  ${s.server}: not compared (${s.error})`);
      continue;
    }
    lines.push(`  ${s.server}: lacks ${ids(s.missing)}; blocked ${ids(s.blocked)}; applied ${ids(s.applied)}; applied but no longer published ${ids(s.noLongerPublished)}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderFetchFailure(info: FetchInfo): string {
  const d = info.diagnosis;
  const lines = [`Could not fetch the definitions from ${info.url}.`];
  if (d) {
    lines.push(`${d.title} [${d.code}]`, d.explanation);
    if (d.fix.length > 0) lines.push('What to do:', ...d.fix.map((f) => `  - ${f}`));
  }
  return `${lines.join('\n')}\n`;
}

function renderHuman(result: FeedVerification, fetchInfo: FetchInfo | null): string {
  const lines: string[] = [];
  if (fetchInfo) lines.push(`Fetched from ${fetchInfo.url}.`);
  lines.push(result.verdict === 'valid' ? 'VALID: EEMS would accept this file.' : 'INVALID: EEMS would refuse this file ("This XML is not deemed safe to consume").');
  lines.push(`Checked at ${result.checkedAt}. Signature ${result.signatureValid ? 'valid: the content is as it was signed' : 'not valid or not checked'}.`);
  if (result.reasons.length > 0) {
    lines.push('', 'Why:');
    for (const r of result.reasons) lines.push(`  - ${r.message} [${r.code}]`);
  }
  if (result.chain.length > 0) {
    lines.push('', 'Certificate chain:');
    for (const c of result.chain) {
      const trust = c.trusted ? ', trusted root' : '';
      lines.push(`  ${c.role.padEnd(12)} ${c.subject} (valid ${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)}${trust})`, `  ${''.padEnd(12)} issued by ${c.issuer}; SHA-256 ${c.sha256}`);
    }
  }
  if (result.signatureValid) {
    lines.push('', result.configs.length > 0 ? 'Definitions the signature covers:' : 'The signature covers no Config.');
    for (const config of result.configs) {
      lines.push(`  ${config.id}: ${config.desc}`);
      for (const a of config.actions) {
        const value = a.value.trim().replace(/\s+/g, ' ');
        lines.push(`    - ${a.type} (${a.scope}): ${a.desc}${value ? ` = ${value.length > 120 ? `${value.slice(0, 117)}...` : value}` : ''}`);
      }
    }
  } else {
    lines.push('', 'No definitions shown: only content covered by a valid signature is read.');
  }
  return `${lines.join('\n')}\n`;
}
