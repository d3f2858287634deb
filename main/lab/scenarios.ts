/**
 * The scenarios a lab starts from. `demo` tells the story of June 2026: CVE-2026-42897 was
 * mitigated by EEMS as M2.1.0 (and by some admins with Microsoft's EOMT script), the Jun26SU fixed
 * the code, Microsoft's guidance lets M2 go only from the Jul26SU (eems-domain.md K1), and the
 * organisation now holds every stage of that lifecycle at once, with the faults an admin meets
 * (contracts.md "eems-watch lab", eems-domain.md §4, §5, K1, K7).
 */
import type { AdminAuditEntry, ServerState } from '../core/model.js';
import type { FetchFailureCode, LabTimelineEntry, OcsMitigation } from './lab-types.js';
import { M2_RULES, defaultOcsCatalogue } from './ocs-feed.js';

export interface ScenarioServer {
  state: ServerState;
  fetchFault?: FetchFailureCode;
}

export interface Scenario {
  name: string;
  description: string;
  start: string;
  organizationName: string;
  organization: { MitigationsEnabled: boolean; AuditEntries: AdminAuditEntry[] };
  servers: ScenarioServer[];
  timeline: LabTimelineEntry[];
  ocs: OcsMitigation[];
}

interface ServerSpec {
  name: string;
  /** ExSetup FileVersion, long form. */
  exSetup: string;
  /** The CU's RTM build, for AdminDisplayVersion ("1748.10"). */
  cu: string;
  applied?: string[];
  m2Rules?: boolean;
  /** The same protection as M2, written by Microsoft's EOMT script (K7) instead of EEMS. */
  eomtRules?: boolean;
  proxy?: string | null;
  dataCollection?: boolean;
  serviceStopped?: boolean;
  fetchFault?: FetchFailureCode;
  /** $env:ExchangeInstallPath; default Setup's default on C:. */
  installPath?: string;
}

/** Setup's default install folder (Exchange 2016, 2019 and SE alike). */
const DEFAULT_INSTALL_PATH = 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\';

function makeServer(spec: ServerSpec): ScenarioServer {
  const major = spec.exSetup.split('.').slice(0, 2).map(Number);
  const state: ServerState = {
    Name: spec.name,
    Fqdn: `${spec.name.toLowerCase()}.contoso.com`,
    AdminDisplayVersion: `Version ${major[0]}.${major[1]} (Build ${spec.cu})`,
    ExSetupVersion: spec.exSetup,
    MitigationsEnabled: true,
    MitigationsApplied: spec.applied ?? ['PING1'],
    MitigationsBlocked: [],
    DataCollectionEnabled: spec.dataCollection ?? false,
    InternetWebProxy: spec.proxy ?? null,
    ExchangeInstallPath: spec.installPath ?? DEFAULT_INSTALL_PATH,
    // Set by the lab's EEMS cycle when it writes MitigationsApplied.
    MitigationsAppliedTime: null,
    Service: { Status: spec.serviceStopped ? 'Stopped' : 'Running', StartType: 'Automatic' },
    RewriteRules: [...(spec.m2Rules ? M2_RULES.map((rule) => structuredClone(rule)) : []), ...(spec.eomtRules ? EOMT_M2_RULES.map((rule) => structuredClone(rule)) : [])],
    AppPools: [
      { Name: 'MSExchangeOWAAppPool', State: 'Started' },
      { Name: 'MSExchangeECPAppPool', State: 'Started' },
    ],
    Services: [],
    AuditEntries: [],
    Error: null,
  };
  return spec.fetchFault ? { state, fetchFault: spec.fetchFault } : { state };
}

/**
 * What EOMT writes for CVE-2026-42897 (K7, CSS-Exchange Security/src/EOMT/Mitigations/CVE-2026-42897.ps1
 * [CONFIRMED names and policy]): the M2 rules under EOMT's names, the outbound rule pointing at
 * EOMT's own preCondition.
 */
const EOMT_NAMES: Record<string, string> = {
  'EEMS M2.1 OWA CSP - outbound': 'EOMT OWA CSP - outbound',
  'EEMS M2.1 OWA SPA HTML shell - precondition': 'EOMT OWA SPA HTML shell - precondition',
};
const EOMT_M2_RULES = M2_RULES.map((rule) => ({ ...structuredClone(rule), Name: EOMT_NAMES[rule.Name] ?? rule.Name, PreCondition: rule.PreCondition ? (EOMT_NAMES[rule.PreCondition] ?? rule.PreCondition) : null }));

/**
 * M2's fixed builds as the demo's OCS uses them: K1 says EEMS kept re-applying M2 on Jun26SU
 * servers, so OCS stops sending it only from the Jul26SU (removableFrom); the SE line is missing
 * until hour 72 (the lag LEARN-EM warns about), which makes EX03 stale-applied.
 */
const DEMO_M2_STOPS_AT = ['15.1.2507.71', '15.2.1544.43', '15.2.1748.48'];
const DEMO_M2_STOPS_AT_LATER = [...DEMO_M2_STOPS_AT, '15.2.2562.45'];

const CU15 = '1748.10';
const CU14 = '1544.4';
const SE_RTM = '2562.17';
const E16_CU23 = '2507.6';

function demo(): Scenario {
  const orgOff: AdminAuditEntry = {
    Caller: 'contoso.com/Users/Jordan Reyes',
    CmdletName: 'Set-OrganizationConfig',
    ObjectModified: 'Contoso',
    Parameters: { MitigationsEnabled: 'False' },
    RunDate: '2026-06-12T16:42:10Z',
  };
  return {
    name: 'demo',
    description:
      'Contoso, mid-June 2026: M2 (CVE-2026-42897) everywhere between active and orphaned, an Exchange 2016 server that cannot fetch, a stopped service, and automatic mitigation turned off for the organisation.',
    start: '2026-06-15T08:00:00.000Z',
    organizationName: 'Contoso',
    organization: { MitigationsEnabled: false, AuditEntries: [orgOff] },
    servers: [
      // Jul26SU installed (M2's removableFrom): EEMS dropped M2.1.0, the two rules stay in owa/web.config (orphan, removable).
      makeServer({ name: 'EX01', exSetup: '15.02.1748.048', cu: CU15, applied: ['PING1'], m2Rules: true }),
      // Feb26SU, below the fix: M2 applied and still needed (active).
      makeServer({ name: 'EX02', exSetup: '15.02.1748.043', cu: CU15, applied: ['PING1', 'M2.1.0'], m2Rules: true }),
      // SE Jul26SU: removable, but OCS does not exclude the SE line yet, so M2.1.0 stays applied (stale-applied).
      makeServer({ name: 'EX03', exSetup: '15.02.2562.045', cu: SE_RTM, applied: ['PING1', 'M2.1.0'], m2Rules: true, dataCollection: true }),
      // CU14 Feb26SU with M2 active; gets the Jul26SU at hour 30 (M2's removableFrom: then M2 becomes an orphan).
      makeServer({ name: 'EX04', exSetup: '15.02.1544.039', cu: CU14, applied: ['PING1', 'M2.1.0'], m2Rules: true }),
      // Fixed and clean, but someone stopped MSExchangeMitigation: no more hourly checks.
      makeServer({ name: 'EX05', exSetup: '15.02.1748.046', cu: CU15, serviceStopped: true }),
      // Jun26SU: the code fix is installed, EEMS keeps M2.1.0 applied, and Microsoft advises keeping
      // it until the Jul26SU (K1): active, no removal offered.
      makeServer({ name: 'EX06', exSetup: '15.02.1748.046', cu: CU15, applied: ['PING1', 'M2.1.0'], m2Rules: true }),
      // CU14 Jul26SU: an admin applied the protection with EOMT before EEMS had M2; EEMS never
      // applied it here. EOMT's rules can go (orphan, applied by EOMT; or EOMT.ps1 -RollbackMitigation).
      makeServer({ name: 'EX07', exSetup: '15.02.1544.043', cu: CU14, eomtRules: true }),
      // Exchange 2016 CU23 Feb26SU behind a proxy: every fetch fails the signing-certificate check,
      // so it never received M2 although it is below the fix.
      makeServer({ name: 'EX16-LEGACY', exSetup: '15.01.2507.066', cu: E16_CU23, proxy: 'http://10.0.0.10:8080/', fetchFault: 'signing-cert', installPath: 'D:\\Exchange Server\\V15\\' }),
    ],
    timeline: [
      { atHour: 20, server: 'EX03', action: { kind: 'fault', fault: { kind: 'service-crash', restart: true } } },
      { atHour: 30, server: 'EX04', action: { kind: 'install-update', ExSetupVersion: '15.02.1544.043', label: 'Exchange 2019 CU14 Jul26SU' } },
      { atHour: 72, server: null, action: { kind: 'ocs-update', mitigation: 'M2.1.0', fixedBuilds: [...DEMO_M2_STOPS_AT_LATER], label: 'OCS now excludes Exchange SE Jul26SU from M2' } },
    ],
    ocs: defaultOcsCatalogue().map((m) => (m.family === 'M2' ? { ...m, fixedBuilds: [...DEMO_M2_STOPS_AT] } : m)),
  };
}

function healthy(name: string): ScenarioServer {
  return makeServer({ name, exSetup: '15.02.1748.046', cu: CU15 });
}

function quiet(count: number): Scenario {
  const servers = Array.from({ length: count }, (_, i) => healthy(`EX${String(i + 1).padStart(2, '0')}`));
  return base('quiet', 'Every server fixed, clean and fetching: nothing to report.', servers);
}

function base(name: string, description: string, servers: ScenarioServer[]): Scenario {
  return {
    name,
    description,
    start: '2026-06-15T08:00:00.000Z',
    organizationName: 'Contoso',
    organization: { MitigationsEnabled: true, AuditEntries: [] },
    servers,
    timeline: [],
    ocs: defaultOcsCatalogue(),
  };
}

function lifecycle(): Scenario {
  const scenario = base('lifecycle', 'One M2 lifecycle: applied at the first cycle on a server below the fix, orphaned when the Jun26SU arrives at hour 30.', [
    makeServer({ name: 'EX01', exSetup: '15.02.1748.043', cu: CU15 }),
    healthy('EX02'),
    makeServer({ name: 'EX03', exSetup: '15.02.2562.041', cu: SE_RTM }),
  ]);
  scenario.timeline = [{ atHour: 30, server: 'EX01', action: { kind: 'install-update', ExSetupVersion: '15.02.1748.046', label: 'Exchange 2019 CU15 Jun26SU' } }];
  return scenario;
}

function faults(): Scenario {
  const codes: [string, FetchFailureCode][] = [
    ['EX-TLS', 'tls-chain'],
    ['EX-SIGN', 'signing-cert'],
    ['EX-REVOC', 'revocation'],
    ['EX-OLD', 'untrusted-endpoint'],
    ['EX-PROXY', 'proxy'],
    ['EX-NET', 'network'],
  ];
  const servers = codes.map(([name, code]) =>
    makeServer({ name, exSetup: name === 'EX-OLD' ? '15.02.1118.021' : '15.02.1748.046', cu: name === 'EX-OLD' ? '1118.7' : CU15, fetchFault: code, proxy: code === 'proxy' ? 'http://10.0.0.10:8080/' : null }),
  );
  return base('faults', 'One server per fetch failure (each diagnosis code), for tests.', servers);
}

/** Many servers for the benchmarks: mostly healthy, with a few of each condition (deterministic). */
function large(count: number): Scenario {
  const servers = Array.from({ length: count }, (_, i) => {
    const name = `EX${String(i + 1).padStart(3, '0')}`;
    if (i % 10 === 0) return makeServer({ name, exSetup: '15.02.1748.043', cu: CU15, applied: ['PING1', 'M2.1.0'], m2Rules: true });
    if (i % 10 === 1) return makeServer({ name, exSetup: '15.02.1748.046', cu: CU15, m2Rules: true });
    if (i % 25 === 2) return makeServer({ name, exSetup: '15.02.1748.046', cu: CU15, serviceStopped: true });
    if (i % 50 === 3) return makeServer({ name, exSetup: '15.02.1748.046', cu: CU15, fetchFault: 'tls-chain' });
    return healthy(name);
  });
  return base('large', `${count} servers for the benchmarks, mostly healthy.`, servers);
}

/** The known scenarios with what they are for. */
export const SCENARIOS: Record<string, { description: string; sized: boolean }> = {
  demo: { description: 'the default: every stage of the M2 lifecycle, faults, org MitigationsEnabled False', sized: false },
  quiet: { description: 'all healthy (--servers N, default 3)', sized: true },
  lifecycle: { description: 'M2 applied at the first cycle, orphaned after the Jun26SU at hour 30', sized: false },
  faults: { description: 'one server per fetch failure code', sized: false },
  large: { description: 'N servers for benchmarks (--servers N, default 500)', sized: true },
};

/** Build a scenario by name; throws a sentence listing the known ones. */
export function buildScenario(name: string, servers?: number): Scenario {
  const known = SCENARIOS[name];
  if (!known) throw new Error(`Unknown scenario '${name}'. Known scenarios: ${Object.keys(SCENARIOS).join(', ')}.`);
  if (servers !== undefined && !known.sized) throw new Error(`The scenario '${name}' has a fixed set of servers; --servers applies to: quiet, large.`);
  if (servers !== undefined && (!Number.isInteger(servers) || servers < 1 || servers > 5000)) {
    throw new Error(`--servers must be a whole number from 1 to 5000, not ${servers}.`);
  }
  switch (name) {
    case 'quiet':
      return quiet(servers ?? 3);
    case 'large':
      return large(servers ?? 500);
    case 'lifecycle':
      return lifecycle();
    case 'faults':
      return faults();
    default:
      return demo();
  }
}
