/**
 * The fixed contracts of contracts.md, command by command, run in-process with --json on fixtures:
 * every contracted field is there, spelled as contracts.md spells it, with its type and nesting
 * (fields may be added, never renamed or dropped); stdout holds exactly one JSON document; every
 * bad input is one line on stderr with a non-zero exit and no stack trace; every command has --help.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type CliRun } from '../support/cli.js';
import { fixture } from '../support/paths.js';
import { withTempDir } from '../support/temp-dir.js';

/** A contracted shape: a type name, an object of fields, or a one-element array of an item shape. */
type Shape = 'string' | 'number' | 'boolean' | 'string|null' | 'number|null' | 'object' | 'any' | Shape[] | { [key: string]: Shape };

function assertShape(value: unknown, shape: Shape, path: string): void {
  if (Array.isArray(shape)) {
    assert.ok(Array.isArray(value), `${path}: expected an array, got ${JSON.stringify(value)?.slice(0, 80)}`);
    if (shape[0] !== undefined) value.forEach((item, i) => assertShape(item, shape[0]!, `${path}[${i}]`));
    return;
  }
  if (typeof shape === 'object') {
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${path}: expected an object`);
    const have = Object.keys(value);
    const missing = Object.keys(shape).filter((key) => !have.includes(key));
    assert.deepEqual(missing, [], `${path}: contracted fields missing (have ${have.join(', ')})`);
    for (const [key, sub] of Object.entries(shape)) assertShape((value as Record<string, unknown>)[key], sub, `${path}.${key}`);
    return;
  }
  if (shape === 'any') return;
  const allowed = shape.split('|').map((t) => (t === 'null' ? null : t));
  const actual = value === null ? null : Array.isArray(value) ? 'array' : typeof value;
  assert.ok(allowed.includes(actual as string | null), `${path}: expected ${shape}, got ${actual}`);
}

const DIAGNOSIS = { code: 'string', title: 'string', explanation: 'string', fix: ['string'], links: ['string'], details: 'object' } as const satisfies Shape;
const CODES = ['tls-chain', 'signing-cert', 'revocation', 'untrusted-endpoint', 'proxy', 'network', 'crash', 'unknown'];
const VERDICTS = ['active', 'stale-applied', 'orphan-artefact', 'orphan-unfixed', 'blocked', 'heartbeat'];
const FEED_CODES = [
  'malformed-xml', 'doctype-forbidden', 'too-large', 'no-signature', 'multiple-signatures', 'reference-not-root', 'signature-invalid',
  'untrusted-root', 'chain-incomplete', 'leaf-expired', 'leaf-not-yet-valid', 'intermediate-expired', 'eku-missing', 'weak-algorithm',
];

interface Row {
  name: string;
  args: string[];
  exit: number;
  shape: Shape;
  /** Values the contract fixes (codes, verdicts) and what the fixture must show. */
  check: (doc: Record<string, unknown>) => void;
}

const ROWS: Row[] = [
  {
    name: 'diagnose --text',
    args: ['diagnose', '--text', 'Diagnostic information: Exception encountered while fetching mitigations : The remote name could not be resolved: \'officeclient.microsoft.com\'', '--json'],
    exit: 0,
    shape: DIAGNOSIS,
    check: (doc) => assert.equal(doc.code, 'network'),
  },
  {
    name: 'diagnose --file (a log)',
    args: ['diagnose', '--file', fixture('samples', 'mitigation-service.log'), '--json'],
    exit: 0,
    shape: { diagnoses: [{ ...DIAGNOSIS, source: { line: 'number' } }] },
    check: (doc) => {
      const list = doc.diagnoses as { code: string }[];
      assert.ok(list.length > 0);
      for (const d of list) assert.ok(CODES.includes(d.code), d.code);
    },
  },
  {
    name: 'diagnose --file (an event export)',
    args: ['diagnose', '--file', fixture('samples', 'events.getwinevent.json'), '--json'],
    exit: 0,
    shape: { diagnoses: [{ ...DIAGNOSIS, source: { recordId: 'number' } }] },
    check: (doc) => assert.ok((doc.diagnoses as unknown[]).length > 0),
  },
  {
    name: 'diagnose --file (wevtutil XML)',
    args: ['diagnose', '--file', fixture('samples', 'events.wevtutil.xml'), '--json'],
    exit: 0,
    shape: { diagnoses: [{ ...DIAGNOSIS, source: { recordId: 'number' } }] },
    check: (doc) => assert.ok((doc.diagnoses as unknown[]).length > 0),
  },
  {
    name: 'diagnose --file (one message)',
    args: ['diagnose', '--file', fixture('diagnosis', 'message-de-tls.txt'), '--json'],
    exit: 0,
    shape: { diagnoses: [{ ...DIAGNOSIS, source: { line: 'number' } }] },
    check: (doc) => assert.equal((doc.diagnoses as unknown[]).length, 1),
  },
  {
    name: 'parse-log',
    args: ['parse-log', fixture('samples', 'mitigation-service.log'), fixture('parsers', 'full-day.LOG'), '--json'],
    exit: 0,
    shape: {
      entries: [{ time: 'string|null', server: 'string|null', operation: 'string|null', level: 'string', message: 'string', source: 'string|null' }],
      days: [{ date: 'string', cycles: 'number', missingHours: ['number'] }],
      skipped: 'number',
    },
    check: (doc) => {
      assert.ok((doc.entries as unknown[]).length > 0);
      for (const day of doc.days as { date: string; missingHours: number[] }[]) {
        assert.match(day.date, /^\d{4}-\d{2}-\d{2}$/);
        for (const h of day.missingHours) assert.ok(Number.isInteger(h) && h >= 0 && h <= 23);
      }
    },
  },
  {
    name: 'stale',
    args: ['stale', '--state', fixture('kb', 'every-verdict.json'), '--json'],
    exit: 0,
    shape: {
      servers: [
        {
          name: 'string',
          build: 'string|null',
          mitigations: [{ id: 'string', family: 'string', verdict: 'string', removable: 'boolean', fixedIn: 'string|null', artefacts: ['string'], reason: 'string' }],
        },
      ],
    },
    check: (doc) => {
      const verdicts = (doc.servers as { mitigations: { verdict: string }[] }[]).flatMap((s) => s.mitigations.map((m) => m.verdict));
      for (const v of verdicts) assert.ok(VERDICTS.includes(v), v);
      assert.deepEqual([...new Set(verdicts)].sort(), [...VERDICTS].sort(), 'the fixture shows every verdict');
    },
  },
  {
    name: 'verify-feed (valid, the real PING1 file)',
    args: ['verify-feed', fixture('real', 'ocs-ping1-2021-09.xml'), '--at', '2021-09-15T17:00:00Z', '--json'],
    exit: 0,
    shape: {
      verdict: 'string',
      reasons: [{ code: 'string', message: 'string' }],
      signatureValid: 'boolean',
      chain: [{ subject: 'string', issuer: 'string', notBefore: 'string', notAfter: 'string', sha256: 'string' }],
      checkedAt: 'string',
      configs: [{ id: 'string', desc: 'string', actions: [{ type: 'string', scope: 'string', desc: 'string', value: 'string' }] }],
    },
    check: (doc) => {
      assert.equal(doc.verdict, 'valid');
      assert.deepEqual((doc.configs as { id: string }[]).map((c) => c.id), ['PING1']);
    },
  },
  {
    name: 'verify-feed (invalid today)',
    args: ['verify-feed', fixture('real', 'ocs-ping1-2021-09.xml'), '--at', '2026-11-27T00:00:00Z', '--json'],
    exit: 1,
    shape: { verdict: 'string', reasons: [{ code: 'string', message: 'string' }], signatureValid: 'boolean', chain: ['object'], checkedAt: 'string', configs: ['object'] },
    check: (doc) => {
      assert.equal(doc.verdict, 'invalid');
      const codes = (doc.reasons as { code: string }[]).map((r) => r.code);
      for (const c of codes) assert.ok(FEED_CODES.includes(c), c);
      assert.ok(codes.includes('leaf-expired') && codes.includes('intermediate-expired'), codes.join(', '));
    },
  },
];

/** stdout is exactly one JSON document (and a final newline), nothing else. */
function parseOneDocument(r: CliRun): Record<string, unknown> {
  assert.ok(r.stdout.endsWith('\n'), 'stdout ends with one newline');
  const doc = JSON.parse(r.stdout) as unknown; // throws on anything before or after the document
  assert.ok(typeof doc === 'object' && doc !== null && !Array.isArray(doc), 'the document is a JSON object');
  return doc as Record<string, unknown>;
}

for (const row of ROWS) {
  test(`contract: ${row.name} --json`, async () => {
    const r = await runCli(row.args);
    assert.equal(r.code, row.exit, r.stderr);
    const doc = parseOneDocument(r);
    assertShape(doc, row.shape, '$');
    row.check(doc);
  });
}

test('contract: every diagnosis code of contracts.md comes out of diagnose --text', async () => {
  const texts: Record<string, string> = {
    'tls-chain': 'Could not establish trust relationship for the SSL/TLS secure channel. ---> System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the validation procedure.',
    'signing-cert': "This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft",
    revocation: 'The revocation function was unable to check revocation because the revocation server was offline.',
    'untrusted-endpoint': 'FetchMitigation: Connection attempted against untrusted endpoint',
    proxy: 'System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.',
    network: 'System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: No connection could be made because the target machine actively refused it 52.109.8.19:443',
    crash:
      'Watson report about to be sent for process id: 4242, with parameters: E12IIS, c-RTL-AMD64, 15.02.1748.043, MSExchangeMitigation, Microsoft.Exchange.Mitigation.Service, M.E.M.S.MitigationEngine.Fetch, System.OutOfMemoryException, 7f3a, 15.02.1748.043. ErrorReportingEnabled: False',
    unknown: 'Something entirely different happened.',
  };
  assert.deepEqual(Object.keys(texts).sort(), [...CODES].sort());
  for (const [code, text] of Object.entries(texts)) {
    const r = await runCli(['diagnose', '--text', text, '--json']);
    const doc = parseOneDocument(r);
    assertShape(doc, DIAGNOSIS, code);
    assert.equal(doc.code, code, text);
  }
  const crash = parseOneDocument(await runCli(['diagnose', '--text', texts.crash!, '--json']));
  assert.equal((crash.details as { exception?: string }).exception, 'System.OutOfMemoryException');
  const unknown = parseOneDocument(await runCli(['diagnose', '--text', texts.unknown!, '--json']));
  assert.equal((unknown.details as { text?: string }).text, texts.unknown, 'an unknown text is kept, never dropped');
});

test('contract: --json keeps stdout clean when the state file needs warnings (they go to stderr)', async () => {
  await withTempDir('contract-warn', async (dir) => {
    const state = join(dir, 'state.json');
    // "True" for a boolean and a single string for a list: accepted with a warning each.
    await writeFile(state, JSON.stringify({
      collectedAt: '2026-11-27T10:00:00Z',
      organization: { MitigationsEnabled: 'True' },
      servers: [{ Name: 'EX01', ExSetupVersion: '15.2.1748.46', MitigationsApplied: 'PING1', MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: null }],
    }));
    const r = await runCli(['stale', '--state', state, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = parseOneDocument(r);
    assert.equal((doc.servers as unknown[]).length, 1);
    assert.match(r.stderr, /^warning: /m);
  });
});

/** One line on stderr, nothing on stdout, a non-zero exit, no stack trace. */
function assertCleanError(r: CliRun, what: string, pattern?: RegExp): void {
  assert.notEqual(r.code, 0, `${what}: exit code`);
  assert.equal(r.stdout, '', `${what}: stdout`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
  assert.match(r.stderr, /^eems-watch[ :]/, what);
  assert.doesNotMatch(r.stderr, /\s+at \S+ \(|node:internal|RangeError|TypeError/, what);
  if (pattern) assert.match(r.stderr, pattern, what);
}

test('contract: bad arguments and unreadable input are one line on stderr, never a stack trace', async () => {
  await withTempDir('contract-errors', async (dir) => {
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '');
    const binary = join(dir, 'binary.dat');
    await writeFile(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const badJson = join(dir, 'bad.json');
    await writeFile(badJson, '{"collectedAt": "2026-11-27T10:00:00Z", "servers": [');
    const deepJson = join(dir, 'deep.json');
    const depth = 100_000;
    await writeFile(deepJson, `{"collectedAt":"2026-11-27T10:00:00Z","organization":{"MitigationsEnabled":true},"servers":[{"Name":"EX01","Extra":${'['.repeat(depth)}${']'.repeat(depth)},"MitigationsApplied":[],"MitigationsBlocked":[],"RewriteRules":[],"AppPools":[],"Services":[],"Error":null}]}`);
    const notEvents = join(dir, 'not-events.json');
    await writeFile(notEvents, '{"hello": "world"}');
    const missing = join(dir, 'missing.log');

    const cases: Array<[string[], RegExp?]> = [
      [['frobnicate'], /unknown command/],
      [['diagnose'], /nothing to diagnose/],
      [['diagnose', '--text'], /argument missing/],
      [['diagnose', '--bogus'], /Unknown option '--bogus'/],
      [['diagnose', '--text', 'x', '--file', empty], /either --text or --file/],
      [['diagnose', '--text', '   '], /nothing to diagnose/],
      [['diagnose', '--file', folder, '--json'], /is a folder/],
      [['diagnose', '--file', missing, '--json'], /no such file/],
      [['diagnose', '--file', empty, '--json'], /is empty/],
      [['diagnose', '--file', binary, '--json'], /not a text file/],
      [['diagnose', '--file', notEvents, '--json'], /no event record/],
      [['parse-log'], /at least one log file/],
      [['parse-log', '--bogus', empty], /Unknown option/],
      [['parse-log', folder, '--json'], /holds no \.log files/],
      [['parse-log', missing, '--json'], /no such file/],
      [['stale'], /--state FILE is required/],
      [['stale', '--state'], /argument missing/],
      [['stale', '--state', folder, '--json'], /is a folder/],
      [['stale', '--state', missing, '--json'], /no such file/],
      [['stale', '--state', empty, '--json'], /not valid JSON/],
      [['stale', '--state', badJson, '--json'], /not valid JSON/],
      [['stale', '--state', binary, '--json'], /not valid JSON/],
      [['stale', '--state', deepJson, '--json'], /servers\[0\]\.Extra.*nested more than/],
      [['stale', '--state', fixture('kb', 'every-verdict.json'), '--unknown-flag'], /Unknown option/],
      [['verify-feed'], /exactly one FILE/],
      [['verify-feed', folder, '--json'], /is a folder/],
      [['verify-feed', missing, '--json'], /no such file/],
      [['verify-feed', fixture('real', 'ocs-ping1-2021-09.xml'), '--at', 'yesterday'], /not an ISO time/],
      [['verify-feed', fixture('real', 'ocs-ping1-2021-09.xml'), '--trust-root', missing], /--trust-root/],
      [['verify-feed', fixture('real', 'ocs-ping1-2021-09.xml'), '--frobnicate'], /Unknown option/],
    ];
    for (const [args, pattern] of cases) assertCleanError(await runCli(args), args.join(' '), pattern);
  });
});

test('contract: verify-feed on an empty or binary file is a verdict (exit 1) that says what the file is', async () => {
  await withTempDir('contract-feed', async (dir) => {
    const empty = join(dir, 'empty.xml');
    await writeFile(empty, '');
    const r = await runCli(['verify-feed', empty, '--json']);
    assert.equal(r.code, 1);
    const doc = parseOneDocument(r) as { reasons: { code: string; message: string }[] };
    assert.deepEqual(doc.reasons.map((x) => x.code), ['malformed-xml']);
    assert.match(doc.reasons[0]!.message, /empty/);
  });
});

test('contract: a huge --text is diagnosed, kept whole, in one JSON document', async () => {
  const text = `Exception encountered while fetching mitigations : ${'One or more errors occurred. '.repeat(200_000)}`;
  const r = await runCli(['diagnose', '--text', text, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = parseOneDocument(r);
  assertShape(doc, DIAGNOSIS, '$');
  assert.equal((doc.details as { text?: string }).text, text);
});

test('contract: --help of every command prints its usage on stdout and exits 0', async () => {
  for (const name of ['diagnose', 'parse-log', 'stale', 'verify-feed', 'poll', 'lab', 'serve']) {
    const r = await runCli([name, '--help']);
    assert.equal(r.code, 0, name);
    assert.equal(r.stderr, '', name);
    assert.match(r.stdout, new RegExp(`^Usage:\\s+eems-watch ${name}\\b`), name);
    if (['diagnose', 'parse-log', 'stale', 'verify-feed', 'poll'].includes(name)) assert.match(r.stdout, /--json/, name);
  }
});
