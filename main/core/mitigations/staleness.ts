/**
 * Staleness: for every mitigation on a server (applied, blocked, or only its artefact left behind),
 * say whether it is still needed, stale, orphaned or blocked (contracts.md, `eems-watch stale`).
 */
import { formatBuild, nameBuild, serverBuild, type ServerBuild } from './builds.js';
import { fixStatus } from './fix-status.js';
import { familyMatches, findMitigation, type KnowledgeBase, type MitigationEntry } from './knowledge-base.js';
import type { AppPool, MitigationVerdict, RewriteRule, ServerState, StateDocument, Verdict, WindowsService } from '../model.js';

/** An artefact of a mitigation found on a server. */
export interface FoundArtefact {
  /** Catalogue family ("M2"), or the family read from an unknown rule name ("M21"). */
  family: string;
  known: boolean;
  kind: 'rewrite-rule' | 'app-pool' | 'service';
  name: string;
  rule?: RewriteRule;
  pool?: AppPool;
  service?: WindowsService;
}

/** The `stale --json` document. */
export interface StaleReport {
  servers: {
    name: string;
    build: string | null;
    /** Added to the contract: "Exchange 2019 CU15 Jun26SU" (nearest lower name when not exact). */
    buildName: string | null;
    /** False when the table has no row for the build and buildName is the nearest lower one. */
    buildNameExact: boolean | null;
    buildSource: ServerBuild['source'];
    /** Says when only the CU is known, or why the build is unknown. */
    buildNote: string | null;
    error: string | null;
    mitigations: MitigationVerdict[];
  }[];
}

/**
 * EEMS rule names carry the applied ID after "EEMS " ("EEMS M2.1 OWA CSP - outbound"). A rule not
 * in the catalogue but named this way is attributed to its family. INFERRED naming convention: two
 * published mitigations follow it; a future one may not.
 */
const EEMS_RULE_NAME = /^EEMS\s+([A-Za-z]+\d+)(?:\.\d+)*\s/i;

/** A multi-valued property as a clean list: null, missing and non-string items are dropped. */
export function normaliseIdList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' || item.trim() === '') continue;
    const id = item.trim();
    if (!seen.has(id.toUpperCase())) out.push(id);
    seen.add(id.toUpperCase());
  }
  return out;
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function arrayOf<T>(value: T[] | null | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Every mitigation artefact still on a server: rewrite rules and preConditions named in the
 * catalogue (or named like EEMS rules), Stopped app pools and stopped or disabled services that a
 * mitigation names.
 */
export function findArtefacts(server: ServerState, kb: KnowledgeBase): FoundArtefact[] {
  const found: FoundArtefact[] = [];
  const owner = (type: string, name: string) =>
    kb.mitigations.find((m) => m.artefacts.some((a) => a.type === type && sameName(a.name, name))) ?? null;
  for (const rule of arrayOf(server.RewriteRules)) {
    if (typeof rule?.Name !== 'string') continue;
    const entry = owner('rewrite-rule', rule.Name);
    if (entry) {
      found.push({ family: entry.id, known: true, kind: 'rewrite-rule', name: rule.Name, rule });
      continue;
    }
    const m = EEMS_RULE_NAME.exec(rule.Name);
    if (!m?.[1]) continue;
    const byName = kb.mitigations.find((e) => sameName(e.id, m[1]!));
    found.push({ family: byName?.id ?? m[1].toUpperCase(), known: !!byName, kind: 'rewrite-rule', name: rule.Name, rule });
  }
  for (const pool of arrayOf(server.AppPools)) {
    if (typeof pool?.Name !== 'string' || !/^stopped$/i.test(pool.State ?? '')) continue;
    const entry = owner('app-pool', pool.Name);
    if (entry) found.push({ family: entry.id, known: true, kind: 'app-pool', name: pool.Name, pool });
  }
  for (const service of arrayOf(server.Services)) {
    if (typeof service?.Name !== 'string') continue;
    const down = !/^running$/i.test(service.Status ?? '') || /^disabled$/i.test(service.StartType ?? '');
    const entry = down ? owner('service', service.Name) : null;
    if (entry) found.push({ family: entry.id, known: true, kind: 'service', name: service.Name, service });
  }
  return found;
}

interface Subject {
  id: string;
  entry: MitigationEntry | null;
  applied: boolean;
  blockedBy: string | null;
  artefacts: FoundArtefact[];
}

function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

function verdictOf(subject: Subject, sb: ServerBuild, kb: KnowledgeBase): MitigationVerdict {
  const { id, entry, applied, blockedBy, artefacts } = subject;
  const names = artefacts.map((a) => a.name);
  const make = (verdict: Verdict, removable: boolean, fixedIn: string | null, reason: string): MitigationVerdict => ({
    id,
    family: entry?.id ?? id,
    verdict,
    removable,
    fixedIn,
    // Placeholders until the two-build evidence lands (issue 11): removableFrom = fixedIn.
    removableFrom: fixedIn,
    sources: [],
    disagreement: null,
    appliedBy: names.length > 0 ? 'EEMS' : null,
    artefacts: names,
    reason: sentence(reason),
  });
  const blockNote = blockedBy ? `${id} is blocked (MitigationsBlocked holds '${blockedBy}'), so EEMS will not apply it` : '';

  if (entry?.kind === 'heartbeat') {
    if (blockedBy) return make('blocked', false, null, `${blockNote}; the heartbeat then cannot show that EEMS works on this server`);
    return make('heartbeat', false, null, `${id} is the EEMS heartbeat: it changes nothing on the server and is never stale`);
  }
  if (!entry) {
    const unknown = `no fix is known for ${id}: it is not in the knowledge base (update EEMS Watch or add it in a knowledge override)`;
    if (blockedBy) return make('blocked', false, null, `${blockNote}; ${unknown}`);
    if (applied) return make('active', false, null, unknown);
    return make('orphan-unfixed', false, null, `the artefact of ${id} remains though EEMS no longer lists it as applied, and ${unknown}; leave it in place until the fix is known`);
  }

  const fix = fixStatus(sb, entry, kb);
  const exposed = `removing it would leave the server exposed to ${entry.cve ?? entry.id}: install ${entry.fixedBy ? `the ${entry.fixedBy}` : 'the fixing update'} first`;
  if (blockedBy) {
    // Still listed as applied: stale-applied (contracts.md), with the block already done.
    if (fix.fixed && names.length > 0 && applied) {
      return make('stale-applied', true, fix.fixedIn, `${id} is still in MitigationsApplied although ${fix.reason}; it is already blocked (MitigationsBlocked holds '${blockedBy}'), so EEMS will not put it back: remove its artefact (this is where a half-finished removal resumes)`);
    }
    if (fix.fixed && names.length > 0) {
      return make('orphan-artefact', true, fix.fixedIn, `${blockNote}, but its artefact is still on the server and ${fix.reason}: remove the artefact (this is where a half-finished removal resumes)`);
    }
    if (names.length > 0) return make('blocked', false, fix.fixedIn, `${blockNote}; its artefact is still in place and still protects the server, because ${fix.reason}`);
    return make('blocked', false, fix.fixedIn, `${blockNote}; nothing of it is left on the server, and ${fix.reason}`);
  }
  if (applied) {
    if (fix.fixed) {
      return make('stale-applied', true, fix.fixedIn, `${id} is still in MitigationsApplied although ${fix.reason}; the published list may not exclude this build yet: block ${entry.id}, then remove its artefact`);
    }
    return make('active', false, fix.fixedIn, `${id} is applied and still needed: ${fix.reason}`);
  }
  if (fix.fixed) {
    return make('orphan-artefact', true, fix.fixedIn, `${entry.id} is no longer in MitigationsApplied but its artefact is still on the server, and ${fix.reason}: it is safe to remove`);
  }
  return make('orphan-unfixed', false, fix.fixedIn, `${entry.id} is no longer in MitigationsApplied but its artefact is still on the server, and ${fix.reason}; ${exposed}`);
}

function artefactsFor(id: string, entry: MitigationEntry | null, pool: FoundArtefact[]): FoundArtefact[] {
  if (entry) return pool.filter((a) => a.known && a.family === entry.id);
  return pool.filter((a) => !a.known && (familyMatches(a.family, id) || familyMatches(id, a.family)));
}

/**
 * Judge every mitigation on one server: each applied ID, each blocked ID not applied, and each
 * family whose artefact is left over. A server that could not be read (`Error` set) gets none.
 */
export function judgeServer(server: ServerState, kb: KnowledgeBase): MitigationVerdict[] {
  if (server.Error) return [];
  const applied = normaliseIdList(server.MitigationsApplied);
  const blocked = normaliseIdList(server.MitigationsBlocked);
  let left = findArtefacts(server, kb);
  const usedBlocks = new Set<string>();
  const subjects: Subject[] = [];
  const take = (id: string, entry: MitigationEntry | null) => {
    const mine = artefactsFor(id, entry, left);
    left = left.filter((a) => !mine.includes(a));
    return mine;
  };

  for (const id of applied) {
    const entry = findMitigation(kb, id);
    const blockedBy = blocked.find((b) => familyMatches(b, id)) ?? null;
    if (blockedBy) usedBlocks.add(blockedBy);
    subjects.push({ id, entry, applied: true, blockedBy, artefacts: [] });
  }
  // Artefacts go to the first applied ID of their family; the others of the family show none.
  for (const subject of subjects) subject.artefacts = take(subject.id, subject.entry);
  for (const id of blocked.filter((b) => !usedBlocks.has(b))) {
    const entry = findMitigation(kb, id);
    subjects.push({ id, entry, applied: false, blockedBy: id, artefacts: take(id, entry) });
  }
  for (const family of [...new Set(left.map((a) => a.family))]) {
    const entry = findMitigation(kb, family);
    subjects.push({ id: family, entry: entry?.id === family ? entry : null, applied: false, blockedBy: null, artefacts: take(family, entry?.id === family ? entry : null) });
  }
  const sb = serverBuild(server);
  return subjects.map((s) => verdictOf(s, sb, kb));
}

/** Judge every server of a state document: the `eems-watch stale --json` output. */
export function judgeState(doc: StateDocument, kb: KnowledgeBase): StaleReport {
  return {
    servers: arrayOf(doc.servers).map((server) => {
      const sb = serverBuild(server);
      const name = sb.build ? nameBuild(sb.build, kb) : null;
      return {
        name: server.Name,
        build: sb.build ? formatBuild(sb.build) : null,
        buildName: name?.label ?? null,
        buildNameExact: name?.exact ?? null,
        buildSource: sb.source,
        buildNote: sb.note,
        error: server.Error ?? null,
        mitigations: judgeServer(server, kb),
      };
    }),
  };
}
