/**
 * The simulated Office Config Service: which mitigations it publishes and to which builds. OCS only
 * sends a mitigation to builds it still applies to (LEARN-EM), and it can lag behind an SU (the
 * stale-applied case), so the fixed builds it knows live in lab.json and a scenario can update them.
 */
import type { RewriteRule } from '../core/model.js';
import type { OcsMitigation } from './lab-types.js';

/** The preCondition of M2: OWA's HTML shell pages (eems-domain.md K6, EOMT's published policy [CONFIRMED]). */
const M2_PRECONDITION = 'EEMS M2.1 OWA SPA HTML shell - precondition';

/**
 * The M2 rules EEMS writes (LEARN-EM p.761: outbound rule + preCondition on Default Web Site/owa),
 * as full rules: the outbound rule rewrites RESPONSE_Content_Security_Policy to append
 * `script-src-attr 'none'` on the pages the preCondition selects (K6 [CONFIRMED] from EOMT's
 * policy; the match pattern "(.*)" that feeds {R:1} is INFERRED from the action).
 */
export const M2_RULES: RewriteRule[] = [
  {
    Name: 'EEMS M2.1 OWA CSP - outbound',
    Direction: 'outbound',
    Location: 'Default Web Site/owa',
    ConfigFile: 'web.config',
    Enabled: true,
    PreCondition: M2_PRECONDITION,
    Match: { ServerVariable: 'RESPONSE_Content_Security_Policy', Url: null, Pattern: '(.*)' },
    Conditions: [],
    Action: { Type: 'Rewrite', Value: "{R:1}; script-src-attr 'none'" },
  },
  {
    Name: M2_PRECONDITION,
    Direction: 'precondition',
    Location: 'Default Web Site/owa',
    ConfigFile: 'web.config',
    Enabled: true,
    PreCondition: null,
    Match: null,
    Conditions: [
      { Input: '{RESPONSE_CONTENT_TYPE}', Pattern: '^text/html' },
      { Input: '{REQUEST_URI}', Pattern: '^/owa/?($|\\?|default\\.aspx|projection\\.aspx|readingPane\\.aspx|popout\\.aspx)' },
    ],
    Action: null,
  },
];

/** Fixed builds for CVE-2026-42897 (CVE record versionEndExcluding = the Jun26SU builds). */
export const M2_FIXED_BUILDS = ['15.1.2507.69', '15.2.1544.41', '15.2.1748.46', '15.2.2562.43'];

/** The feed as OCS publishes it in mid-2026: the PING1 heartbeat and M2 (CVE-2026-42897). */
export function defaultOcsCatalogue(): OcsMitigation[] {
  return [
    { id: 'PING1', family: 'PING1', action: 'DoNothing', location: '', description: 'EEMS heartbeat probe.', rules: [], fixedBuilds: [] },
    {
      id: 'M2.1.0',
      family: 'M2',
      action: 'IISUrlRewriteOutbound',
      location: 'Default Web Site/owa',
      description: 'Mitigation of CVE-2026-42897 via a URL Rewrite configuration.',
      rules: M2_RULES.map((rule) => structuredClone(rule)),
      fixedBuilds: [...M2_FIXED_BUILDS],
    },
  ];
}

/** "15.02.1748.046" or "15.2.1748.46" as four numbers, or null. */
export function parseVersion(text: string | null | undefined): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec((text ?? '').trim());
  return match ? match.slice(1).map(Number) : null;
}

/** "15.2.1748.46" from "15.02.1748.046". */
export function shortVersion(text: string): string {
  const parts = parseVersion(text);
  return parts ? parts.join('.') : text;
}

/** "15.02.1748.046" from "15.2.1748.46" (ExSetup.exe FileVersion form). */
export function longVersion(text: string): string {
  const parts = parseVersion(text);
  if (!parts) return text;
  const [major, minor, build, revision] = parts as [number, number, number, number];
  return `${major}.${String(minor).padStart(2, '0')}.${build}.${String(revision).padStart(3, '0')}`;
}

/** "Version 15.2 (Build 1748.10)": the CU only, as AdminDisplayVersion shows it. */
export function adminDisplayVersion(major: number, minor: number, cuBuild: string): string {
  return `Version ${major}.${minor} (Build ${cuBuild})`;
}

/**
 * Whether OCS sends this mitigation to a server on this build: yes unless a fixed build of the
 * same CU line (major.minor.build) is known and the server is at or above it. A build OCS cannot
 * read gets everything (the service then decides; INFERRED).
 */
export function isApplicable(mitigation: OcsMitigation, exSetupVersion: string | null | undefined): boolean {
  const build = parseVersion(exSetupVersion);
  if (!build) return true;
  for (const fixedText of mitigation.fixedBuilds) {
    const fixed = parseVersion(fixedText);
    if (!fixed || fixed[0] !== build[0] || fixed[1] !== build[1] || fixed[2] !== build[2]) continue;
    return (build[3] ?? 0) < (fixed[3] ?? 0);
  }
  return true;
}

/** Whether a blocked list covers this mitigation (the family "M2" or the exact "M2.1.0"). */
export function isBlocked(mitigation: OcsMitigation, blocked: string[]): boolean {
  return blocked.some((entry) => entry === mitigation.id || entry === mitigation.family);
}
