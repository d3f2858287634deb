/**
 * What mitigations left on a server: URL Rewrite rules and preConditions, stopped app pools and
 * stopped or disabled services. A rule is a mitigation's artefact when the catalogue names it (EEMS's
 * own names, and Microsoft's EOMT names: eems-domain.md K7), or when its reported behaviour matches a
 * catalogue signature whatever its name. Where the collection reports what a rule does (RewriteRule
 * details), a rule whose name matches but whose behaviour does not is NOT taken for the mitigation,
 * as Microsoft's EOMT does ("RuleNameMatch"): removing it would remove something else.
 */
import type { AppPool, RewriteRule, ServerState, WindowsService } from '../model.js';
import type { KnowledgeBase, MitigationEntry, RuleArtefact, RuleSignature } from './knowledge-base.js';

/** An artefact of a mitigation found on a server. */
export interface FoundArtefact {
  /** Catalogue family ("M2"), or the family read from an unknown rule name ("M21"). */
  family: string;
  known: boolean;
  kind: 'rewrite-rule' | 'app-pool' | 'service';
  name: string;
  /** Who put it there: the catalogue's name tells EEMS or EOMT; a match by behaviour alone is 'unknown'. */
  appliedBy: 'EEMS' | 'EOMT' | 'unknown';
  /** How it was recognised. */
  matchedBy: 'name' | 'behaviour';
  /** The catalogue artefact it matched by name, when it did. */
  catalogue?: RuleArtefact;
  rule?: RewriteRule;
  pool?: AppPool;
  service?: WindowsService;
}

/**
 * EEMS rule names carry the applied ID after "EEMS " ("EEMS M2.1 OWA CSP - outbound"). A rule not
 * in the catalogue but named this way is attributed to its family. INFERRED naming convention: two
 * published mitigations follow it; a future one may not.
 */
const EEMS_RULE_NAME = /^EEMS\s+([A-Za-z]+\d+)(?:\.\d+)*\s/i;

const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();
const arrayOf = <T>(value: T[] | null | undefined): T[] => (Array.isArray(value) ? value : []);
const patterns = (p: string | string[]) => (Array.isArray(p) ? p : [p]);

/** "Default Web Site/owa" and "\\Default Web Site\\owa\\" are the same place; "Server" is the top level. */
export function normaliseLocation(location: string | null | undefined): string {
  const trimmed = (location ?? '').replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  return /^server$/i.test(trimmed) ? '' : trimmed.toLowerCase();
}

/** Whether the collection reported what the rule does (older state files carry names only). */
export function hasDetails(rule: RewriteRule): boolean {
  return rule.Match != null || rule.Action != null || (Array.isArray(rule.Conditions) && rule.Conditions.length > 0) || (rule.PreCondition != null && rule.PreCondition !== '');
}

function conditionsHold(wanted: RuleSignature['conditions'], have: RewriteRule['Conditions']): boolean {
  const list = arrayOf(have);
  return (wanted ?? []).every((c) => list.some((h) => same(h?.Input, c.input) && patterns(c.pattern).includes(String(h?.Pattern ?? '').trim())));
}

/** Whether a rule does what a signature describes (every field the signature gives must match). */
export function matchesSignature(rule: RewriteRule, sig: RuleSignature, all: RewriteRule[]): boolean {
  if (!same(rule.Direction, sig.direction) || normaliseLocation(rule.Location) !== normaliseLocation(sig.location)) return false;
  if (sig.match) {
    const m = rule.Match;
    if (!m) return false;
    if (sig.match.serverVariable !== undefined && !same(m.ServerVariable, sig.match.serverVariable)) return false;
    if (sig.match.url !== undefined && (m.Url ?? '').trim() !== sig.match.url) return false;
    if (sig.match.pattern !== undefined && (m.Pattern ?? '').trim() !== sig.match.pattern) return false;
  }
  if (sig.action) {
    const a = rule.Action;
    if (!a || !same(a.Type, sig.action.type)) return false;
    if (sig.action.value !== undefined && (a.Value ?? '').trim() !== sig.action.value) return false;
  }
  if (sig.conditions && !conditionsHold(sig.conditions, rule.Conditions)) return false;
  if (sig.preCondition) {
    const name = rule.PreCondition;
    if (!name) return false;
    const pre = all.find((r) => same(r.Direction, 'precondition') && same(r.Name, name) && normaliseLocation(r.Location) === normaliseLocation(rule.Location));
    if (!pre || !conditionsHold(sig.preCondition, pre.Conditions)) return false;
  }
  return true;
}

function signaturesFor(entry: MitigationEntry, direction: string): RuleSignature[] {
  return entry.signatures.filter((s) => same(s.direction, direction));
}

/** The rule as one of `entry`'s artefacts, or null: by name (checked against behaviour when reported), else by behaviour. */
function recogniseRule(rule: RewriteRule, all: RewriteRule[], kb: KnowledgeBase): FoundArtefact | null {
  for (const entry of kb.mitigations) {
    const art = entry.artefacts.find((a): a is RuleArtefact => a.type === 'rewrite-rule' && same(a.name, rule.Name));
    if (!art) continue;
    const sigs = signaturesFor(entry, rule.Direction || art.direction);
    if (hasDetails(rule) && sigs.length > 0) {
      if (!sigs.some((s) => matchesSignature(rule, s, all))) continue;
    } else if (art.requireBehaviour) continue;
    return { family: entry.id, known: true, kind: 'rewrite-rule', name: rule.Name, appliedBy: art.appliedBy, matchedBy: 'name', catalogue: art, rule };
  }
  if (!hasDetails(rule)) return null;
  for (const entry of kb.mitigations) {
    if (entry.signatures.some((s) => matchesSignature(rule, s, all))) {
      return { family: entry.id, known: true, kind: 'rewrite-rule', name: rule.Name, appliedBy: 'unknown', matchedBy: 'behaviour', rule };
    }
  }
  return null;
}

/**
 * Every mitigation artefact still on a server: rewrite rules and preConditions (by name or by
 * behaviour), Stopped app pools and stopped or disabled services that a mitigation names.
 */
export function findArtefacts(server: ServerState, kb: KnowledgeBase): FoundArtefact[] {
  const found: FoundArtefact[] = [];
  const rules = arrayOf(server.RewriteRules).filter((r): r is RewriteRule => typeof r?.Name === 'string');
  for (const rule of rules) {
    const known = recogniseRule(rule, rules, kb);
    if (known) {
      found.push(known);
      continue;
    }
    const m = EEMS_RULE_NAME.exec(rule.Name);
    if (!m?.[1]) continue;
    const byName = kb.mitigations.find((e) => same(e.id, m[1]!));
    found.push({ family: byName?.id ?? m[1].toUpperCase(), known: !!byName, kind: 'rewrite-rule', name: rule.Name, appliedBy: 'EEMS', matchedBy: 'name', rule });
  }
  // A preCondition that a rule we are NOT removing still names must stay: IIS refuses a config whose
  // rule names a missing preCondition.
  const kept = rules.filter((r) => !found.some((f) => f.rule === r));
  const inUse = (f: FoundArtefact) =>
    same(f.rule?.Direction, 'precondition') && kept.some((r) => same(r.PreCondition, f.name) && normaliseLocation(r.Location) === normaliseLocation(f.rule?.Location));
  const result = found.filter((f) => !inUse(f));

  const owner = (type: string, name: string) => kb.mitigations.find((m) => m.artefacts.some((a) => a.type === type && same(a.name, name))) ?? null;
  for (const pool of arrayOf(server.AppPools)) {
    if (typeof pool?.Name !== 'string' || !/^stopped$/i.test(pool.State ?? '')) continue;
    const entry = owner('app-pool', pool.Name);
    if (entry) result.push({ family: entry.id, known: true, kind: 'app-pool', name: pool.Name, appliedBy: 'EEMS', matchedBy: 'name', pool });
  }
  for (const service of arrayOf(server.Services)) {
    if (typeof service?.Name !== 'string') continue;
    const down = !/^running$/i.test(service.Status ?? '') || /^disabled$/i.test(service.StartType ?? '');
    const entry = down ? owner('service', service.Name) : null;
    if (entry) result.push({ family: entry.id, known: true, kind: 'service', name: service.Name, appliedBy: 'EEMS', matchedBy: 'name', service });
  }
  return result;
}

/** Who applied a set of artefacts: one tool, or 'unknown' when they differ or none named it. */
export function appliedByOf(artefacts: FoundArtefact[]): 'EEMS' | 'EOMT' | 'unknown' | null {
  if (artefacts.length === 0) return null;
  const by = new Set(artefacts.map((a) => a.appliedBy));
  return by.size === 1 ? [...by][0]! : 'unknown';
}
