/**
 * Exchange build numbers: read them as Exchange prints them, compare them as [System.Version] does,
 * and name them ("Exchange 2019 CU15 Jun26SU") from the knowledge base's build table.
 */
import type { ServerState } from '../model.js';
import type { BuildEntry, KnowledgeBase } from './knowledge-base.js';

/** A four-part Exchange build, e.g. 15.2.1748.46. */
export interface ExchangeBuild {
  major: number;
  minor: number;
  build: number;
  revision: number;
}

export type ProductLabel = 'Exchange 2013' | 'Exchange 2016' | 'Exchange 2019' | 'Exchange SE' | 'unknown';

/** A build in words. `exact` is false when the table has no row for it and the nearest lower row named it. */
export interface BuildName {
  product: ProductLabel;
  cu: string | null;
  update: string | null;
  /** "Exchange 2019 CU15 Jun26SU" */
  label: string;
  /** "2019 CU15 Jun26SU" */
  short: string;
  exact: boolean;
}

/** Where a server's build came from; only ExSetup shows the SU level. */
export interface ServerBuild {
  build: ExchangeBuild | null;
  source: 'ExSetup' | 'AdminDisplayVersion' | 'none';
  note: string | null;
}

/** First build number of Exchange SE on 15.2 (SE RTM is 15.2.2562.17); CSS-Exchange uses the same cut. */
export const SE_FIRST_BUILD = 2562;

const ADMIN_DISPLAY = /^\s*Version\s+(\d+)\.(\d+)\s*\(\s*Build\s+(\d+)\.(\d+)\s*\)\s*$/i;
const DOTTED = /^\s*(\d{1,5})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})\s*$/;

/**
 * Read a build from AdminDisplayVersion ("Version 15.2 (Build 1748.10)") or an ExSetup FileVersion
 * ("15.02.1748.046" long form with leading zeros, or "15.2.1748.46"). Null when it is neither.
 */
export function parseBuild(text: string): ExchangeBuild | null {
  if (typeof text !== 'string') return null;
  const m = ADMIN_DISPLAY.exec(text) ?? DOTTED.exec(text);
  if (!m) return null;
  const [major, minor, build, revision] = m.slice(1, 5).map((part) => Number.parseInt(part ?? '', 10));
  if ([major, minor, build, revision].some((n) => n === undefined || !Number.isFinite(n))) return null;
  return { major: major!, minor: minor!, build: build!, revision: revision! };
}

/** Negative, zero or positive, part by part as [System.Version] compares. */
export function compareBuilds(a: ExchangeBuild, b: ExchangeBuild): number {
  return a.major - b.major || a.minor - b.minor || a.build - b.build || a.revision - b.revision;
}

/** "15.2.1748.46" (short form, no leading zeros). */
export function formatBuild(b: ExchangeBuild): string {
  return `${b.major}.${b.minor}.${b.build}.${b.revision}`;
}

/** True when both builds are on the same CU line (same Major.Minor.Build). */
export function sameCuLine(a: ExchangeBuild, b: ExchangeBuild): boolean {
  return a.major === b.major && a.minor === b.minor && a.build === b.build;
}

/** The product a build belongs to: 15.0 = 2013, 15.1 = 2016, 15.2 below 2562 = 2019, 15.2 from 2562 = SE. */
export function productOf(b: ExchangeBuild): ProductLabel {
  if (b.major !== 15) return 'unknown';
  if (b.minor === 0) return 'Exchange 2013';
  if (b.minor === 1) return 'Exchange 2016';
  if (b.minor === 2) return b.build >= SE_FIRST_BUILD ? 'Exchange SE' : 'Exchange 2019';
  return 'unknown';
}

function rowName(product: ProductLabel, row: BuildEntry | null, cu: string | null): Omit<BuildName, 'exact'> {
  const update = row?.update ?? null;
  const words = [product, cu, update].filter((w): w is string => !!w).join(' ');
  return { product, cu, update, label: words, short: words.replace(/^Exchange /, '') };
}

/**
 * Name a build from the build table. An exact row gives its name; a build between two rows of its
 * CU line takes the nearest lower row's name with exact=false; a CU line the table lacks gives the
 * product and the number.
 */
export function nameBuild(b: ExchangeBuild, kb: KnowledgeBase): BuildName {
  const product = productOf(b);
  const text = formatBuild(b);
  if (product === 'unknown') return { product, cu: null, update: null, label: `unknown build ${text}`, short: text, exact: false };

  let nearest: { row: BuildEntry; build: ExchangeBuild } | null = null;
  let lineCu: string | null = null;
  for (const row of kb.builds) {
    const rb = parseBuild(row.build);
    if (!rb || !sameCuLine(rb, b)) continue;
    lineCu ??= row.cu;
    const order = compareBuilds(rb, b);
    if (order === 0) return { ...rowName(product, row, row.cu), exact: true };
    if (order < 0 && (!nearest || compareBuilds(rb, nearest.build) > 0)) nearest = { row, build: rb };
  }
  if (nearest) return { ...rowName(product, nearest.row, nearest.row.cu), exact: false };
  if (lineCu) return { ...rowName(product, null, lineCu), exact: false };
  const words = `${product} ${text}`;
  return { product, cu: null, update: null, label: words, short: words.replace(/^Exchange /, ''), exact: false };
}

/**
 * The best known build of a server: ExSetup's FileVersion (shows the SU), else AdminDisplayVersion
 * (shows the CU only, and `note` says so), else none.
 */
export function serverBuild(server: ServerState): ServerBuild {
  const exSetupText = server.ExSetupVersion;
  const exSetup = typeof exSetupText === 'string' ? parseBuild(exSetupText) : null;
  if (exSetup) return { build: exSetup, source: 'ExSetup', note: null };
  const unreadable =
    typeof exSetupText === 'string' && exSetupText.trim() !== '' ? `ExSetupVersion '${exSetupText}' could not be read. ` : '';

  const adminText = server.AdminDisplayVersion;
  const admin = typeof adminText === 'string' ? parseBuild(adminText) : null;
  if (admin) {
    return {
      build: admin,
      source: 'AdminDisplayVersion',
      note:
        `${unreadable}Only the CU is known: AdminDisplayVersion (${adminText}) does not show installed SUs. ` +
        'Collect the FileVersion of ExSetup.exe to see the SU level.',
    };
  }
  return {
    build: null,
    source: 'none',
    note: `${unreadable}The build is unknown: neither ExSetupVersion nor AdminDisplayVersion could be read.`,
  };
}
