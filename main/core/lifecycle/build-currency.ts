/**
 * Build currency: how far a server's build is behind the newest build of its CU line in the
 * knowledge base's build table ("3 updates behind"), whether a newer CU exists, and where the
 * product stands in its support lifecycle (end of support, ESU builds), each fact with its source.
 * Counted against the data's own "now": an update released after it does not count yet.
 */
import { compareBuilds, formatBuild, nameBuild, parseBuild, productOf, sameCuLine, serverBuild, type ExchangeBuild, type ProductLabel } from '../mitigations/builds.js';
import type { BuildEntry, KnowledgeBase } from '../mitigations/knowledge-base.js';
import type { ServerState } from '../model.js';
import { lifecycleSource, type LifecycleData, type LifecycleSource, type ProductLifecycle } from './product-lifecycle.js';

/** Where the product stands in its lifecycle. */
export interface SupportStatus {
  /** supported; ended (past end of support); cu-unsupported (the CU line is not a supported one); unknown. */
  state: 'supported' | 'ended' | 'cu-unsupported' | 'unknown';
  endOfSupport: string | null;
  /** The server runs an update released after the end of support: an Extended Security Update build. */
  esu: boolean;
  /** Sentences for the admin. */
  text: string;
  sources: LifecycleSource[];
}

/** A server's build against the build table. */
export interface BuildCurrency {
  build: string | null;
  /** True when the build came from ExSetup (the SU level is known); false for the CU only. */
  exact: boolean;
  product: ProductLabel;
  cu: string | null;
  /** The newest row of the server's CU line in the build table. */
  newest: { build: string; name: string; date: string } | null;
  /** Updates on the CU line newer than the server's build; null when that cannot be known. */
  behind: number | null;
  /** Their names, oldest first ("Jul26SU", "Aug26SU"). */
  missing: string[];
  /** The newest CU of the same product when it is newer than the server's ("CU15"), or null. */
  newerCu: string | null;
  /** The build is newer than every row of its CU line: the build table is behind, not the server. */
  beyondTable: boolean;
  support: SupportStatus;
  /** One sentence for the panel. */
  summary: string;
}

interface Row {
  entry: BuildEntry;
  build: ExchangeBuild;
}

function rowsOf(kb: KnowledgeBase): Row[] {
  return kb.builds.flatMap((entry) => {
    const build = parseBuild(entry.build);
    return build ? [{ entry, build }] : [];
  });
}

function updateName(row: Row): string {
  return row.entry.update ?? `${row.entry.cu} (the CU itself)`;
}

function cuNumber(cu: string): number {
  const m = /^CU(\d+)$/i.exec(cu);
  return m ? Number(m[1]) : 0;
}

/** The newest CU of a product in the table, when it is a later CU than `cu`. */
function newerCuOf(rows: Row[], product: ProductLabel, cu: string | null, today: string): string | null {
  if (!cu) return null;
  const cus = [...new Set(rows.filter((r) => r.entry.product === product && r.entry.date <= today).map((r) => r.entry.cu))];
  const newest = cus.sort((a, b) => cuNumber(b) - cuNumber(a))[0];
  return newest && cuNumber(newest) > cuNumber(cu) ? newest : null;
}

function sourcesOf(data: LifecycleData, p: ProductLifecycle, keys: ('endOfSupportSource' | 'supportedCusSource' | 'updatesAfterEndOfSupportSource')[]): LifecycleSource[] {
  const out: LifecycleSource[] = [];
  for (const key of keys) {
    const source = lifecycleSource(data, p[key]);
    if (source && !out.includes(source)) out.push(source);
  }
  return out;
}

/** Where the product and CU stand; `released` is the date of the server's update, when known. */
export function supportStatus(product: ProductLabel, cu: string | null, released: string | null, data: LifecycleData, now: Date): SupportStatus {
  const p = data.products.find((x) => x.product === product);
  if (!p) return { state: 'unknown', endOfSupport: null, esu: false, text: `The support lifecycle of ${product === 'unknown' ? 'this build' : product} is not in the knowledge base.`, sources: [] };
  const texts: string[] = [];
  const keys: ('endOfSupportSource' | 'supportedCusSource' | 'updatesAfterEndOfSupportSource')[] = [];
  const today = now.toISOString().slice(0, 10);
  const ended = p.endOfSupport !== null && p.endOfSupport <= today;
  let state: SupportStatus['state'] = ended ? 'ended' : 'supported';
  if (p.endOfSupport) {
    texts.push(ended ? `${product} reached the end of support on ${p.endOfSupport}.` : `${product} is supported until ${p.endOfSupport}.`);
    keys.push('endOfSupportSource');
  }
  const esu = ended && p.updatesAfterEndOfSupport === 'ESU' && released !== null && p.endOfSupport !== null && released > p.endOfSupport;
  if (ended && p.updatesAfterEndOfSupport === 'ESU') {
    texts.push(esu ? 'This build is an Extended Security Update (ESU) release.' : 'Security updates released after that date are Extended Security Updates (ESU).');
    texts.push(p.esuEnds ? `The ESU period ends on ${p.esuEnds}.` : 'When the ESU period ends is not in the knowledge base.');
    keys.push('updatesAfterEndOfSupportSource');
  }
  if (cu && p.supportedCus.length > 0 && !p.supportedCus.some((c) => c.toUpperCase() === cu.toUpperCase())) {
    if (state === 'supported') state = 'cu-unsupported';
    texts.push(`${cu} is not a supported CU of ${product} (supported: ${p.supportedCus.join(', ')}); install the newest CU.`);
    keys.push('supportedCusSource');
  }
  return { state, endOfSupport: p.endOfSupport, esu, text: texts.join(' '), sources: sourcesOf(data, p, keys) };
}

function summaryOf(c: Omit<BuildCurrency, 'summary' | 'support'>, versionNote: string | null): string {
  if (c.build === null) return versionNote ?? 'The build is unknown, so how far it is behind cannot be said.';
  const cuWords = c.newerCu ? ` ${c.newerCu} is a newer CU of ${c.product}.` : '';
  if (!c.newest) return `The build table has no row for the CU line of ${c.build}: how far it is behind is unknown.${cuWords}`;
  if (!c.exact) return `Only the CU is known (${c.cu ?? c.build}): the installed SU cannot be read, so how far it is behind is unknown. The line's newest build is ${c.newest.name} (${c.newest.date}).${cuWords}`;
  if (c.beyondTable) return `Newer than every build of its CU line in the build table (newest known: ${c.newest.name}): the knowledge base is behind, not the server.${cuWords}`;
  if (c.behind === 0) return `Up to date: ${c.newest.name} is the newest build of its CU line in the build table (${c.newest.date}).${cuWords}`;
  const plural = c.behind === 1 ? 'update' : 'updates';
  return `${c.behind} ${plural} behind ${c.newest.name} (${c.newest.date}), the newest build of its CU line; not installed: ${c.missing.join(', ')}.${cuWords}`;
}

/** How current a server's build is, against the build table and the product lifecycle. */
export function buildCurrency(server: ServerState, kb: KnowledgeBase, data: LifecycleData, now: Date): BuildCurrency {
  const sb = serverBuild(server);
  const rows = rowsOf(kb);
  if (!sb.build) {
    const base = { build: null, exact: false, product: 'unknown' as const, cu: null, newest: null, behind: null, missing: [], newerCu: null, beyondTable: false };
    return { ...base, support: supportStatus('unknown', null, null, data, now), summary: summaryOf(base, sb.note) };
  }
  const b = sb.build;
  const name = nameBuild(b, kb);
  // Only what was released by the data's "now" counts (a lab in June 2026 knows no July update yet).
  const today = now.toISOString().slice(0, 10);
  const line = rows.filter((r) => sameCuLine(r.build, b) && r.entry.date <= today).sort((x, y) => compareBuilds(x.build, y.build));
  const last = line[line.length - 1] ?? null;
  const newer = line.filter((r) => compareBuilds(r.build, b) > 0);
  const exact = sb.source === 'ExSetup';
  const own = [...line].reverse().find((r) => compareBuilds(r.build, b) <= 0) ?? null;
  const base = {
    build: formatBuild(b),
    exact,
    product: productOf(b),
    cu: name.cu,
    newest: last ? { build: last.entry.build, name: nameBuild(last.build, kb).label, date: last.entry.date } : null,
    behind: exact && last ? newer.length : null,
    missing: exact ? newer.map(updateName) : [],
    newerCu: newerCuOf(rows, productOf(b), name.cu, today),
    beyondTable: exact && last !== null && compareBuilds(b, last.build) > 0,
  };
  const released = exact && own ? own.entry.date : null;
  return { ...base, support: supportStatus(base.product, name.cu, released, data, now), summary: summaryOf(base, sb.note) };
}
