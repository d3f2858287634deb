/**
 * The Servers view's filter and sort, without the DOM: what a search matches, what "problems
 * first" means, and the counts the view shows. Pure, so it is tested without a browser and the
 * benchmark measures the same code the view runs.
 */
import type { ServerView, Severity, Verdict } from '../types.js';

export type SortKey = 'problems' | 'name' | 'build' | 'cycle';
export type AttentionFilter = 'all' | 'action' | 'watch' | 'fine';

/** What the admin narrowed the list to. */
export interface ServerFilter {
  /** Free text: name, FQDN, build, mitigation ID, verdict, problem words. */
  query: string;
  attention: AttentionFilter;
  /** An issue group key ("removable:M2"), or null. */
  issue: string | null;
  /** Only servers with a mitigation of this verdict, or null. */
  verdict: Verdict | null;
}

export const NO_FILTER: ServerFilter = { query: '', attention: 'all', issue: null, verdict: null };

const ATTENTION_RANK: Record<string, number> = { action: 0, watch: 1, fine: 2 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Words a verdict is found by (the badge's words and the contract's code). */
export const VERDICT_WORDS: Record<Verdict, string> = {
  active: 'active',
  'stale-applied': 'stale: fix installed',
  'orphan-artefact': 'orphaned rule',
  'orphan-unfixed': 'orphaned, NOT fixed',
  blocked: 'blocked',
  heartbeat: 'heartbeat',
};

/** The lower-case text a search runs over, built once per server. */
export function searchText(s: ServerView): string {
  const parts = [s.name, s.fqdn ?? '', s.build.short, s.build.version ?? '', s.statusText];
  for (const m of s.mitigations) parts.push(m.id, m.verdict, VERDICT_WORDS[m.verdict] ?? '', m.cve ?? '');
  for (const i of s.issues ?? []) parts.push(i.title);
  if (s.service) parts.push(`service ${s.service.Status}`);
  return parts.join(' ').toLowerCase();
}

function worstSeverity(s: ServerView): number {
  let best = 3;
  for (const i of s.issues ?? []) best = Math.min(best, SEVERITY_RANK[i.severity] ?? 3);
  return best;
}

/** Does a server pass the filter? (`text` is its searchText.) */
export function matches(s: ServerView, text: string, f: ServerFilter): boolean {
  if (f.attention !== 'all' && (s.attention ?? 'fine') !== f.attention) return false;
  if (f.issue !== null && !(s.issues ?? []).some((i) => i.key === f.issue)) return false;
  if (f.verdict !== null && !s.mitigations.some((m) => m.verdict === f.verdict)) return false;
  const words = f.query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => text.includes(w));
}

/** Digits compared as numbers, so EX2 sorts before EX10. */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A sorted copy: problems first (attention, then severity, then name), or by a column. */
export function sortServers(servers: readonly ServerView[], key: SortKey): ServerView[] {
  const byName = (a: ServerView, b: ServerView) => collator.compare(a.name, b.name);
  const out = [...servers];
  if (key === 'name') return out.sort(byName);
  if (key === 'build') return out.sort((a, b) => collator.compare(a.build.version ?? '', b.build.version ?? '') || byName(a, b));
  if (key === 'cycle') return out.sort((a, b) => (a.lastCycleAt ?? '').localeCompare(b.lastCycleAt ?? '') || byName(a, b));
  return out.sort((a, b) => (ATTENTION_RANK[a.attention ?? 'fine'] ?? 2) - (ATTENTION_RANK[b.attention ?? 'fine'] ?? 2) || worstSeverity(a) - worstSeverity(b) || byName(a, b));
}

/** The filter as it reads in words ("need action, matching 'ex03'"), for the count line. */
export function describeFilter(f: ServerFilter, issueTitle: string | null): string {
  const parts: string[] = [];
  if (f.attention === 'action') parts.push('that need action');
  if (f.attention === 'watch') parts.push('to watch');
  if (f.attention === 'fine') parts.push('that are fine');
  if (f.issue !== null) parts.push(`with "${issueTitle ?? f.issue}"`);
  if (f.verdict !== null) parts.push(`with a mitigation ${VERDICT_WORDS[f.verdict]}`);
  if (f.query.trim()) parts.push(`matching "${f.query.trim()}"`);
  return parts.join(', ');
}
