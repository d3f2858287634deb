/**
 * Staleness: for every mitigation on a server (applied, blocked, or only its artefact left behind),
 * say whether it is still needed, stale, orphaned or blocked (contracts.md, `eems-watch stale`).
 * Removable verdicts (stale-applied, orphan-artefact) come only from `removableFrom` (evidence.ts):
 * between fixedIn and removableFrom a mitigation stays `active`, and the reason says so.
 */
import { formatBuild, nameBuild, serverBuild, type ServerBuild } from './builds.js';
import { appliedByOf, findArtefacts, type FoundArtefact } from './artefacts.js';
import { judgeEvidence, type Evidence } from './evidence.js';
import { familyMatches, findMitigation, type KnowledgeBase, type MitigationEntry } from './knowledge-base.js';
import type { MitigationVerdict, ServerState, StateDocument, Verdict } from '../model.js';

export { findArtefacts, type FoundArtefact } from './artefacts.js';

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

function arrayOf<T>(value: T[] | null | undefined): T[] {
  return Array.isArray(value) ? value : [];
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

const NO_EVIDENCE: Pick<MitigationVerdict, 'fixedIn' | 'removableFrom' | 'sources' | 'disagreement'> = { fixedIn: null, removableFrom: null, sources: [], disagreement: null };

/** A verdict of an entry the catalogue lacks, or of the heartbeat: no evidence to weigh. */
function verdictWithoutEvidence(subject: Subject, make: (v: Verdict, reason: string) => MitigationVerdict): MitigationVerdict {
  const { id, entry, applied, blockedBy } = subject;
  const blockNote = blockedBy ? `${id} is blocked (MitigationsBlocked holds '${blockedBy}'), so EEMS will not apply it` : '';
  if (entry?.kind === 'heartbeat') {
    if (blockedBy) return make('blocked', `${blockNote}; the heartbeat then cannot show that EEMS works on this server`);
    return make('heartbeat', `${id} is the EEMS heartbeat: it changes nothing on the server and is never stale`);
  }
  const unknown = `no fix is known for ${id}: it is not in the knowledge base (update EEMS Watch or add it in a knowledge update)`;
  if (blockedBy) return make('blocked', `${blockNote}; ${unknown}`);
  if (applied) return make('active', unknown);
  return make('orphan-unfixed', `the artefact of ${id} remains though EEMS no longer lists it as applied, and ${unknown}; leave it in place until the fix is known`);
}

/** The verdict from the evidence. Only `ev.removable` (removableFrom reached) ever yields a removable verdict. */
function verdictFromEvidence(subject: Subject, ev: Evidence, entry: MitigationEntry, make: (v: Verdict, reason: string) => MitigationVerdict): MitigationVerdict {
  const { id, applied, blockedBy, artefacts } = subject;
  const left = artefacts.length > 0;
  const blockNote = blockedBy ? `${id} is blocked (MitigationsBlocked holds '${blockedBy}'), so EEMS will not apply it` : '';
  const fixWords = ev.keep ?? ev.reason;
  if (blockedBy) {
    // Still listed as applied: stale-applied (contracts.md), with the block already done.
    if (ev.removable && left && applied) {
      return make('stale-applied', `${id} is still in MitigationsApplied although ${ev.reason}; it is already blocked (MitigationsBlocked holds '${blockedBy}'), so EEMS will not put it back: remove its artefact (this is where a half-finished removal resumes)`);
    }
    if (ev.removable && left) return make('orphan-artefact', `${blockNote}, but its artefact is still on the server and ${ev.reason}: remove the artefact (this is where a half-finished removal resumes)`);
    if (left) return make('blocked', `${blockNote}; its artefact is still in place and still protects the server: ${fixWords}`);
    return make('blocked', `${blockNote}; nothing of it is left on the server, and ${fixWords}`);
  }
  const exposed = `removing it would leave the server exposed to ${entry.cve ?? entry.id}: install ${entry.fixedBy ? `the ${entry.fixedBy}` : 'the fixing update'} first`;
  if (applied) {
    if (ev.removable) return make('stale-applied', `${id} is still in MitigationsApplied although ${ev.reason}; the published list may not exclude this build yet: block ${entry.id}, then remove its artefact`);
    if (ev.fixed) return make('active', `${id} is applied: ${ev.keep}`);
    return make('active', `${id} is applied and still needed: ${ev.reason}`);
  }
  // Rules written by EOMT (K7) were never in MitigationsApplied: say who left them.
  const byEomt = appliedByOf(artefacts) === 'EOMT';
  const leftover = byEomt ? `${entry.id}'s protection was applied by EOMT (not EEMS) and is still on the server` : `${entry.id} is no longer in MitigationsApplied but its artefact is still on the server`;
  if (ev.removable) return make('orphan-artefact', `${leftover}, and ${ev.reason}: it is safe to remove`);
  if (ev.fixed) return make('active', `${leftover}: ${ev.keep}; keep the artefact until then`);
  return make('orphan-unfixed', `${leftover}, and ${ev.reason}; ${exposed}`);
}

function verdictOf(subject: Subject, sb: ServerBuild, kb: KnowledgeBase): MitigationVerdict {
  const { id, entry, artefacts } = subject;
  const judgeable = entry && entry.kind !== 'heartbeat';
  const ev = judgeable ? judgeEvidence(sb, entry, kb) : null;
  const removableVerdicts: Verdict[] = ['stale-applied', 'orphan-artefact'];
  const make = (verdict: Verdict, reason: string): MitigationVerdict => ({
    id,
    family: entry?.id ?? id,
    verdict,
    // Belt and braces: a removable verdict exists only where removableFrom is reached.
    removable: removableVerdicts.includes(verdict) && ev?.removable === true,
    ...(ev ? { fixedIn: ev.fixedIn, removableFrom: ev.removableFrom, sources: ev.sources, disagreement: ev.disagreement } : NO_EVIDENCE),
    appliedBy: appliedByOf(artefacts),
    artefacts: artefacts.map((a) => a.name),
    reason: sentence(reason),
  });
  if (!ev || !entry) return verdictWithoutEvidence(subject, make);
  return verdictFromEvidence(subject, ev, entry, make);
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
    const covering = blocked.filter((b) => familyMatches(b, id));
    const blockedBy = covering[0] ?? null;
    for (const b of covering) usedBlocks.add(b);
    subjects.push({ id, entry, applied: true, blockedBy, artefacts: [] });
  }
  // Artefacts go to the first applied ID of their family; the others of the family show none.
  for (const subject of subjects) subject.artefacts = take(subject.id, subject.entry);
  // A family ID and its exact IDs blocked together (K9: both are written) make one subject.
  const unusedBlocks = blocked.filter((b) => !usedBlocks.has(b));
  for (const id of unusedBlocks) {
    const entry = findMitigation(kb, id);
    const family = entry?.id ?? id;
    if (subjects.some((s) => !s.applied && s.blockedBy && (s.entry?.id ?? s.id).toUpperCase() === family.toUpperCase())) continue;
    const shown = unusedBlocks.find((b) => b.toUpperCase() === family.toUpperCase()) ?? id;
    subjects.push({ id: shown, entry, applied: false, blockedBy: shown, artefacts: take(shown, entry) });
  }
  for (const family of [...new Set(left.map((a) => a.family))]) {
    const entry = findMitigation(kb, family);
    const own = entry?.id === family ? entry : null;
    subjects.push({ id: family, entry: own, applied: false, blockedBy: null, artefacts: take(family, own) });
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
