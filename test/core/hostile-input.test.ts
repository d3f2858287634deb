/**
 * Hostile input to the core parsers: JSON keys that name Object's own members (`__proto__`,
 * `constructor`) must not change any object or leak Object's members into results; nesting deep
 * enough to overflow a recursive reader is refused with a clear error; huge lines stay readable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { parseExchangeServerJson, parseStateDocument } from '../../main/core/parsers/state-document.js';
import { parseEventExport, parseGetWinEventJson, readEventLevel } from '../../main/core/parsers/events.js';
import { applyKnowledgeOverride, defaultKnowledgeBase } from '../../main/core/mitigations/knowledge-base.js';
import { judgeState } from '../../main/core/mitigations/staleness.js';
import { readConfigs } from '../../main/core/feed/definitions.js';
import { parseXmlSafely } from '../../main/core/feed/safe-xml.js';
import { diagnose } from '../../main/core/diagnosis/diagnosis.js';
import { parseMitigationLog } from '../../main/core/parsers/mitigation-log.js';

const SERVER = '"Name":"EX01","ExSetupVersion":"15.2.1748.48","MitigationsApplied":["PING1"],"MitigationsBlocked":[],"RewriteRules":[],"AppPools":[],"Services":[],"Error":null';

function assertObjectPrototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'MitigationsApplied', 'isAdmin']) assert.equal(probe[key], undefined, `Object.prototype.${key}`);
}

test('__proto__ and constructor keys in a state file change no prototype and no verdict', () => {
  const text = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"collectedAt":"2026-11-27T10:00:00Z",
    "organization":{"MitigationsEnabled":true,"__proto__":{"polluted":3}},
    "servers":[{"__proto__":{"polluted":4,"MitigationsApplied":["M2.1.0"],"Error":"x"},${SERVER},
      "RewriteRules":[{"__proto__":{"isAdmin":true},"Name":"EEMS M2.1 OWA CSP - outbound","Direction":"outbound","Location":"Default Web Site/owa","ConfigFile":"web.config"}]}]}`;
  const parsed = parseStateDocument(JSON.parse(text));
  assert.ok(parsed.ok);
  const doc = parsed.value as unknown as Record<string, unknown> & { servers: Record<string, unknown>[] };
  for (const value of [doc, doc.organization, doc.servers[0], (doc.servers[0]!.RewriteRules as unknown[])[0]]) {
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal((value as Record<string, unknown>).polluted, undefined);
    assert.equal((value as Record<string, unknown>).isAdmin, undefined);
  }
  assertObjectPrototypeClean();
  const verdicts = judgeState(parsed.value, defaultKnowledgeBase()).servers[0]!.mitigations.map((m) => [m.id, m.verdict]);
  // M2's rule is left and removableFrom (Jul26SU) is reached: an orphan, not the "applied" M2.1.0 the __proto__ tried to add.
  assert.deepEqual(verdicts, [['PING1', 'heartbeat'], ['M2', 'orphan-artefact']]);

  const list = parseExchangeServerJson(JSON.parse(`[{"__proto__":{"polluted":5},${SERVER}}]`));
  assert.equal(list.servers.length, 1);
  assert.equal((list.servers[0] as unknown as Record<string, unknown>).polluted, undefined);
  assertObjectPrototypeClean();
});

test('__proto__ keys in a knowledge override neither pollute nor sneak in fields', () => {
  const kb = defaultKnowledgeBase();
  const merged = applyKnowledgeOverride(kb, JSON.parse(
    '{"__proto__":{"polluted":1},"schemaVersion":2,"mitigations":[{"id":"M2","__proto__":{"lines":[]},"constructor":{"prototype":{"polluted":2}}}],' +
      '"builds":[{"build":"15.2.1748.46","__proto__":{"update":"EVIL"}}]}',
  ));
  assert.ok(merged.ok, merged.ok ? '' : merged.error);
  const m2 = merged.value.mitigations.find((m) => m.id === 'M2')!;
  assert.equal(m2.lines.length, 4, 'the CU lines were not replaced through __proto__');
  assert.equal(merged.value.builds.find((b) => b.build === '15.2.1748.46')!.update, 'Jun26SU');
  assertObjectPrototypeClean();
});

test('event levels named like Object members ("constructor", "__proto__", "toString") read as Unknown', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    assert.equal(readEventLevel(name), 'Unknown', name);
    assert.equal(readEventLevel(undefined, name), 'Unknown', name);
  }
  const exported = parseGetWinEventJson(
    '[{"Id":1008,"TimeCreated":"2026-06-10T09:00:00Z","ProviderName":"MSExchange Mitigation Service","Level":"constructor","LevelDisplayName":"__proto__","Message":"x","__proto__":{"Message":"EVIL"}}]',
  );
  assert.equal(exported.events.length, 1);
  assert.equal(exported.events[0]!.level, 'Unknown');
  assert.equal(exported.events[0]!.message, 'x');
  // The level survives JSON output (a function would have vanished from it).
  assert.equal(JSON.parse(JSON.stringify(exported.events[0])).level, 'Unknown');
  assertObjectPrototypeClean();
});

test('a signed Config attribute named __proto__ is kept as a plain entry, not dropped or used as a prototype', () => {
  const parsed = parseXmlSafely('<EOCS><Config id="M9" desc="d" __proto__="x" constructor="y"><ActionList><Action type="t" scope="s" desc="a" __proto__="z"><Value>v</Value></Action></ActionList></Config></EOCS>');
  assert.ok(parsed.ok);
  const [config] = readConfigs(parsed.root);
  assert.ok(config);
  assert.equal(Object.getPrototypeOf(config.attributes), Object.prototype);
  assert.deepEqual(Object.entries(config.attributes), [['__proto__', 'x'], ['constructor', 'y']]);
  assert.deepEqual(JSON.parse(JSON.stringify(config.actions[0]!.attributes)), JSON.parse('{"__proto__":"z"}'));
  assert.ok(new DOMParser()); // the parser itself stays usable afterwards
});

test('a state file nested thousands of levels deep is refused with the path, not a stack overflow', () => {
  const depth = 100_000;
  const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  for (const junk of [deep, deepObject]) {
    const json: unknown = JSON.parse(`{"collectedAt":"2026-11-27T10:00:00Z","organization":{"MitigationsEnabled":true},"servers":[{${SERVER},"Extra":${junk}}]}`);
    const parsed = parseStateDocument(json);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.error, /^servers\[0\]\.Extra.*nested more than 64 levels deep/);
    assert.ok(!parsed.ok && parsed.error.length < 300, 'the path is shortened');
    const list = parseExchangeServerJson(JSON.parse(`[{${SERVER},"Extra":${junk}}]`));
    assert.equal(list.servers.length, 0);
    assert.match(list.warnings[0] ?? '', /^\[0\]\.Extra.*nested more than 64 levels deep \(server left out\)/);
  }
  // A normal state file (5 levels) is accepted and can be serialised.
  const ok = parseStateDocument(JSON.parse(`{"collectedAt":"2026-11-27T10:00:00Z","organization":{"MitigationsEnabled":true},"servers":[{${SERVER}}]}`));
  assert.ok(ok.ok);
  assert.doesNotThrow(() => JSON.stringify(ok.value));
});

test('deeply nested event exports and XML never crash the parsers', () => {
  const depth = 100_000;
  const events = parseEventExport(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  assert.equal(events.events.length, 0);
  const xml = parseEventExport(`<Event>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</Event>`);
  assert.equal(xml.events.length, 0);
  assert.equal(xml.skipped, 1);
});

test('very long lines: the log parser and diagnosis stay whole and never throw', () => {
  const long = 'x'.repeat(2_000_000);
  const log = [
    `2026-06-10T09:00:02.031Z,EX01,FetchMitigation,S:LogLevel=Error;S:Message=${long}`,
    ','.repeat(500_000),
    "2026-06-10T09:00:03.031Z,EX01,FetchMitigation,'S:LogLevel=Error;S:Message=This XML is not deemed safe to consume since Response xml''s signing cert is invalid or not from microsoft'",
  ].join('\r\n');
  const parsed = parseMitigationLog(log);
  assert.equal(parsed.entries.length + parsed.skipped, 3);
  assert.equal(parsed.entries.at(-1)!.message.includes("xml's signing cert"), true);
  const d = diagnose(`Diagnostic information: ${long} The remote name could not be resolved: 'officeclient.microsoft.com'`);
  assert.equal(d.code, 'unknown', 'only the head of a huge paste is classified');
  assert.equal(d.details.text, `Diagnostic information: ${long} The remote name could not be resolved: 'officeclient.microsoft.com'`);
});
