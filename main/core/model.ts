/**
 * The domain model shared by every layer: what an Exchange server tells about EEMS, and what
 * EEMS Watch concludes from it. Field names of the state document follow Exchange's own spelling
 * (MitigationsApplied, ExSetupVersion) because they are the public state-file contract
 * (docs: contracts.md, "The state file"). Add fields freely; never rename or drop one.
 */

/** One IIS URL Rewrite rule (or preCondition) that an EEMS mitigation left on a server. */
export interface RewriteRule {
  Name: string;
  /** "inbound" | "outbound" | "precondition" as read from the config file. */
  Direction: string;
  /** IIS location, e.g. "Default Web Site/owa"; "" or "Server" for applicationHost.config. */
  Location: string;
  /** "web.config" or "applicationHost.config". */
  ConfigFile: string;
  /**
   * Added 2026-12 (eems-domain.md K7): what the rule does, so a mitigation applied by another tool
   * (EOMT) or by hand is recognised by behaviour where its name differs. Absent in older state files.
   */
  Enabled?: boolean | null;
  /** The outbound rule's preCondition name. */
  PreCondition?: string | null;
  /** <match>: serverVariable (outbound), url (inbound) and pattern. */
  Match?: { ServerVariable?: string | null; Url?: string | null; Pattern?: string | null } | null;
  /** <conditions> of a rule, or the <add> items of a preCondition. */
  Conditions?: { Input: string; Pattern: string }[];
  /** <action>: type (Rewrite, AbortRequest, ...) and value. */
  Action?: { Type: string; Value?: string | null } | null;
}

/** An IIS application pool as the collection script sees it. */
export interface AppPool {
  Name: string;
  /** "Started" | "Stopped" | other IIS states, kept as text. */
  State: string;
}

/** A Windows service as the collection script sees it. */
export interface WindowsService {
  Name: string;
  Status: string;
  StartType: string;
}

/** One Search-AdminAuditLog entry about an EEMS setting (who changed what, and when). */
export interface AdminAuditEntry {
  Caller: string;
  CmdletName: string;
  /** ObjectModified: the server or organisation the cmdlet changed. */
  ObjectModified: string;
  /** Parameter name -> value as text, e.g. { MitigationsEnabled: "False" }. */
  Parameters: Record<string, string>;
  /** ISO 8601 UTC. */
  RunDate: string;
}

/** Everything known about one Exchange server at one collection. */
export interface ServerState {
  Name: string;
  Fqdn?: string;
  /** String form, "Version 15.2 (Build 1748.10)": shows the CU only. */
  AdminDisplayVersion?: string;
  /** ExSetup.exe FileVersion, "15.02.1748.046": the only source of the SU level. May be missing. */
  ExSetupVersion?: string | null;
  MitigationsEnabled?: boolean | null;
  /** null, missing and empty are the same: normalised to []. */
  MitigationsApplied: string[];
  MitigationsBlocked: string[];
  DataCollectionEnabled?: boolean | null;
  /** As a string; 5.1's ConvertTo-Json gives a System.Uri object, which parsers accept too (K10). */
  InternetWebProxy?: string | null;
  /** Added 2026-12 (K10): $env:ExchangeInstallPath on the server; the log folder follows it. */
  ExchangeInstallPath?: string | null;
  /** Added 2026-12 (K10): MitigationsAppliedTime, ISO 8601 UTC, where the build has it. */
  MitigationsAppliedTime?: string | null;
  /** Added 2026-12: the WinHTTP proxy (netsh winhttp show proxy) as "host:port", null when direct. */
  WinHttpProxy?: string | null;
  /** The MSExchangeMitigation service. */
  Service?: { Status: string; StartType: string } | null;
  RewriteRules: RewriteRule[];
  AppPools: AppPool[];
  Services: WindowsService[];
  /** Recent admin audit entries about Mitigations* parameters, where the script could read them. */
  AuditEntries?: AdminAuditEntry[];
  /** A sentence when the server could not be read; the other fields may then be empty. */
  Error: string | null;
}

/** The state document: what the collection script prints and the lab produces. */
export interface StateDocument {
  /** ISO 8601 UTC. */
  collectedAt: string;
  /** AuditEntries: Set-OrganizationConfig entries about Mitigations* parameters, where readable (optional). */
  organization: { MitigationsEnabled: boolean | null; AuditEntries?: AdminAuditEntry[] };
  servers: ServerState[];
}

export type EventLevel = 'Critical' | 'Error' | 'Warning' | 'Information' | 'Verbose' | 'Unknown';

/** One Application event log record of the mitigation service (or a 4999 Watson report). */
export interface EemsEvent {
  recordId: number;
  eventId: number;
  level: EventLevel;
  /** ISO 8601 UTC. */
  time: string;
  /** Computer name as the record carries it (often the FQDN). */
  machine: string;
  provider: string;
  message: string;
  /** The EventData <Data> items, when the source carries them. */
  data?: string[];
}

export type LogLevel = 'Information' | 'Warning' | 'Error' | 'Unknown';

/** One line of the Mitigation Service log (contracts.md, parse-log). */
export interface LogEntry {
  /** ISO 8601 UTC, or null when the line carries no readable time. */
  time: string | null;
  server: string | null;
  operation: string | null;
  level: LogLevel;
  message: string;
  /** The S:Source= value (a .NET class name), or null. */
  source: string | null;
  /** 1-based line number in its file. */
  line?: number;
}

export const DIAGNOSIS_CODES = [
  'tls-chain',
  'signing-cert',
  'revocation',
  'untrusted-endpoint',
  'proxy',
  'network',
  'build-too-old',
  'crash',
  'unknown',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

/** A failure explained for an admin (contracts.md, diagnose). */
export interface Diagnosis {
  code: DiagnosisCode;
  title: string;
  explanation: string;
  fix: string[];
  links: string[];
  details: Record<string, unknown>;
}

export const VERDICTS = [
  'active',
  'stale-applied',
  'orphan-artefact',
  'orphan-unfixed',
  'blocked',
  'heartbeat',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One fact behind a verdict, with where it comes from (contracts.md, stale: `sources`). */
export interface EvidenceSource {
  /** "fixedIn" (the CVE record's fixed build) or "removableFrom" (Microsoft's removal guidance). */
  what: 'fixedIn' | 'removableFrom';
  /** The build this source names for the server's CU line, or null when it names none. */
  build: string | null;
  /** Who says it, in words: "CVE-2026-42897 record (cvelistV5)", "EOMT source (CSS-Exchange)". */
  source: string;
  /** When the source said it, YYYY-MM-DD, or null when unknown. */
  date: string | null;
  confidence: 'confirmed' | 'third-party' | 'inferred';
  /** A link an admin can open, or null. */
  url: string | null;
  /** What the source says in words (a statement without a build, or why the build), or null. */
  says?: string | null;
}

/** The judgement on one mitigation on one server (contracts.md, stale). */
export interface MitigationVerdict {
  /** As seen on the server: "M2.1.0", "PING1", or the family for an orphaned artefact. */
  id: string;
  /** Catalogue family: "M2", "M1", "PING1"; the id itself when unknown. */
  family: string;
  verdict: Verdict;
  removable: boolean;
  /** The fixing build for this server's CU line, "15.2.1748.46", or null when none is known. */
  fixedIn: string | null;
  /**
   * Added 2026-12 (K1): the build from which Microsoft's guidance lets the mitigation go on this
   * server's CU line (can be later than fixedIn); removable verdicts are judged against it.
   */
  removableFrom: string | null;
  /** The evidence behind fixedIn and removableFrom. */
  sources: EvidenceSource[];
  /** A sentence when sources name different builds (the later one decides), else null. */
  disagreement: string | null;
  /** Who put the artefacts there: EEMS, Microsoft's EOMT script, or unknown (matched by behaviour). */
  appliedBy: 'EEMS' | 'EOMT' | 'unknown' | null;
  /** Names of the artefacts still on the server (rule names, pools, services). */
  artefacts: string[];
  /** Why, in words an admin reads. */
  reason: string;
}

export const ALERT_KINDS = [
  'mitigation-applied',
  'mitigation-removed',
  'mitigation-blocked',
  'mitigation-failed',
  'fetch-error',
  'org-mitigations-disabled',
  'server-mitigations-disabled',
  'service-stopped',
  'service-crashed',
  'heartbeat-missed',
  'stale-mitigation',
  'server-unreachable',
  // Added 2026-12 (eems-domain.md K2): the build is below the update the current mitigation files need.
  'build-too-old',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One alert (contracts.md, poll). `id` is stable: the same fact always yields the same id. */
export interface Alert {
  id: string;
  kind: AlertKind;
  severity: Severity;
  /** The server, or null for an organisation-wide alert. */
  server: string | null;
  mitigation: string | null;
  title: string;
  body: string;
  diagnosis: Diagnosis | null;
  /** ISO 8601 UTC: when the rule raised it. */
  time: string;
  /**
   * Added 2026-12: when the problem began (the audit entry that turned a setting off, the first
   * failed cycle), which can be long before `time`; null or absent when unknown.
   */
  since?: string | null;
}

/** Overall status, with the monitoring-plugin exit codes of contracts.md. */
export type OverallStatus = 'ok' | 'warning' | 'critical' | 'unknown';
export const STATUS_EXIT_CODE: Record<OverallStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };
