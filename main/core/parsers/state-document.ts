/**
 * The state document (contracts.md, "The state file") and the raw cmdlet JSON it is built from
 * (Get-ExchangeServer, Get-OrganizationConfig | ConvertTo-Json), validated with zod.
 *
 * Tolerance is loud: every shape that is accepted but rewritten (a ServerVersion object, a single
 * string for a multi-valued property, "True" for a boolean) adds a warning naming the field. Errors
 * name the exact field: "servers[1].MitigationsApplied[0]: expected a string, got a number".
 */
import { z } from 'zod';
import type { ServerState, StateDocument } from '../model.js';

type Warnings = string[];
type Raw = Record<string, unknown>;

const rewriteRule = z.looseObject({ Name: z.string(), Direction: z.string(), Location: z.string(), ConfigFile: z.string() });
const appPool = z.looseObject({ Name: z.string(), State: z.string() });
const windowsService = z.looseObject({ Name: z.string(), Status: z.string(), StartType: z.string() });
const auditEntry = z.looseObject({
  Caller: z.string(),
  CmdletName: z.string(),
  ObjectModified: z.string(),
  Parameters: z.record(z.string(), z.string()),
  RunDate: z.string(),
});

const serverSchema = z.looseObject({
  Name: z.string().min(1, 'a server needs a Name'),
  Fqdn: z.string().optional(),
  AdminDisplayVersion: z.string().optional(),
  ExSetupVersion: z.string().nullable().optional(),
  MitigationsEnabled: z.boolean().nullable().optional(),
  MitigationsApplied: z.array(z.string()),
  MitigationsBlocked: z.array(z.string()),
  DataCollectionEnabled: z.boolean().nullable().optional(),
  // Windows PowerShell 5.1's ConvertTo-Json writes a System.Uri as an object (K10): its address is taken.
  InternetWebProxy: z
    .union([z.string(), z.looseObject({ AbsoluteUri: z.string().optional(), OriginalString: z.string().optional() }).transform((u) => u.AbsoluteUri ?? u.OriginalString ?? null)])
    .nullable()
    .optional(),
  ExchangeInstallPath: z.string().max(1024).nullable().optional(),
  MitigationsAppliedTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time').nullable().optional(),
  Service: z.looseObject({ Status: z.string(), StartType: z.string() }).nullable().optional(),
  RewriteRules: z.array(rewriteRule),
  AppPools: z.array(appPool),
  Services: z.array(windowsService),
  AuditEntries: z.array(auditEntry).optional(),
  Error: z.string().nullable(),
});

const stateSchema = z.looseObject({
  collectedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time'),
  organization: z.looseObject({ MitigationsEnabled: z.boolean().nullable() }),
  servers: z.array(serverSchema),
});

/**
 * Validate a state document (the collection script's output, or a saved state file).
 * Never throws; `error` names the first bad field and says what was expected.
 */
export function parseStateDocument(
  json: unknown,
): { ok: true; value: StateDocument; warnings: string[] } | { ok: false; error: string } {
  const warnings: Warnings = [];
  if (!isObject(json)) return { ok: false, error: `the state document must be a JSON object, got ${describe(json)}.` };
  const tooDeep = findTooDeep(json, MAX_DEPTH);
  if (tooDeep !== null) {
    return { ok: false, error: `${tooDeep}: nested more than ${MAX_DEPTH} levels deep, which no collection script writes; the file was refused. Re-run the collection script.` };
  }
  const doc: Raw = { ...json };
  if (doc.organization === undefined) {
    warnings.push('organization: missing; MitigationsEnabled of the organisation is unknown.');
    doc.organization = { MitigationsEnabled: null };
  } else if (isObject(doc.organization)) {
    doc.organization = { ...doc.organization, MitigationsEnabled: readBoolean(doc.organization.MitigationsEnabled, 'organization.MitigationsEnabled', warnings) };
  }
  if (Array.isArray(doc.servers)) {
    doc.servers = doc.servers.map((s, i) => (isObject(s) ? normaliseServer(s, `servers[${i}]`, warnings) : s));
  }
  const result = stateSchema.safeParse(doc);
  if (!result.success) return { ok: false, error: formatIssue(result.error.issues[0]) };
  return { ok: true, value: result.data as unknown as StateDocument, warnings };
}

/**
 * Read `Get-ExchangeServer | Select ... | ConvertTo-Json` (an array, or one object for one server)
 * into ServerState records. A record that cannot be read is left out with a warning naming it.
 */
export function parseExchangeServerJson(json: unknown): { servers: ServerState[]; warnings: string[] } {
  const warnings: Warnings = [];
  const servers: ServerState[] = [];
  const list = Array.isArray(json) ? json : json === null || json === undefined ? [] : [json];
  list.forEach((raw, i) => {
    const path = `[${i}]`;
    if (!isObject(raw)) {
      warnings.push(`${path}: left out, expected an object, got ${describe(raw)}.`);
      return;
    }
    const tooDeep = findTooDeep(raw, MAX_DEPTH);
    if (tooDeep !== null) {
      warnings.push(`${path}${tooDeep.startsWith('[') ? '' : '.'}${tooDeep}: nested more than ${MAX_DEPTH} levels deep (server left out).`);
      return;
    }
    const result = serverSchema.safeParse(normaliseServer(raw, path, warnings));
    if (result.success) servers.push(result.data as unknown as ServerState);
    else warnings.push(`${formatIssue(result.error.issues[0], path)} (server left out)`);
  });
  return { servers, warnings };
}

/** Read `Get-OrganizationConfig | Select MitigationsEnabled | ConvertTo-Json`. Unreadable -> null. */
export function parseOrganizationConfigJson(json: unknown): { MitigationsEnabled: boolean | null } {
  const raw = Array.isArray(json) ? json[0] : json;
  if (!isObject(raw)) return { MitigationsEnabled: null };
  const value = readBoolean(raw.MitigationsEnabled, 'MitigationsEnabled', []);
  return { MitigationsEnabled: typeof value === 'boolean' ? value : null };
}

/** Bring the serialization shapes of one server to the state-file shape, noting every rewrite. */
function normaliseServer(raw: Raw, path: string, warnings: Warnings): Raw {
  const s: Raw = { ...raw };
  s.AdminDisplayVersion = readVersion(raw.AdminDisplayVersion, `${path}.AdminDisplayVersion`, warnings);
  s.MitigationsApplied = readMultiValued(raw.MitigationsApplied, `${path}.MitigationsApplied`, warnings);
  s.MitigationsBlocked = readMultiValued(raw.MitigationsBlocked, `${path}.MitigationsBlocked`, warnings);
  for (const key of ['MitigationsEnabled', 'DataCollectionEnabled'] as const) {
    if (key in raw) s[key] = readBoolean(raw[key], `${path}.${key}`, warnings);
  }
  // An unreadable server (Error set) may carry nothing else; the lists default to empty.
  for (const key of ['RewriteRules', 'AppPools', 'Services'] as const) {
    if (raw[key] === undefined || raw[key] === null) s[key] = [];
    else if (isObject(raw[key])) {
      warnings.push(`${path}.${key}: a single object instead of a list; read as a list of one.`);
      s[key] = [raw[key]];
    }
  }
  if (raw.Error === undefined) s.Error = null;
  if (s.AdminDisplayVersion === undefined) delete s.AdminDisplayVersion;
  return s;
}

/** "Version 15.2 (Build 1748.10)" from the string form or a ServerVersion {Major,Minor,Build,Revision}. */
function readVersion(value: unknown, path: string, warnings: Warnings): unknown {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return value;
  const { Major, Minor, Build, Revision } = value;
  if ([Major, Minor, Build, Revision].every((n) => typeof n === 'number' && Number.isInteger(n))) {
    warnings.push(`${path}: a ServerVersion object; read as its string form.`);
    return `Version ${Major}.${Minor} (Build ${Build}.${Revision})`;
  }
  return value;
}

/**
 * A multi-valued property (MitigationsApplied/Blocked): an array; null or missing = empty (the
 * real null of eems-domain.md §8, not warned); a single string, "{PING1, M2.1.0}" as Format-List
 * shows it, or a MultiValuedProperty-like object holding the list: read, with a warning.
 */
function readMultiValued(value: unknown, path: string, warnings: Warnings): unknown {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const items = value.replace(/^\s*\{|\}\s*$/g, '').split(/[,;\s]+/).filter((item) => item.length > 0);
    warnings.push(`${path}: a single string instead of a list; read as [${items.map((i) => `"${i}"`).join(', ')}].`);
    return items;
  }
  if (isObject(value)) {
    for (const key of ['value', 'Value', 'Items', 'items']) {
      if (Array.isArray(value[key])) {
        warnings.push(`${path}: a MultiValuedProperty object; read its ${key} list.`);
        return value[key];
      }
    }
    if (value.Count === 0 || value.IsEmpty === true) {
      warnings.push(`${path}: an empty MultiValuedProperty object; read as an empty list.`);
      return [];
    }
  }
  return value;
}

/** A boolean, or PowerShell's "True"/"False" text (with a warning). Anything else is left for zod. */
function readBoolean(value: unknown, path: string, warnings: Warnings): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
    warnings.push(`${path}: the text "${value}" instead of a boolean; read as ${value.trim().toLowerCase()}.`);
    return value.trim().toLowerCase() === 'true';
  }
  return value === undefined ? null : value;
}

function formatIssue(issue: z.core.$ZodIssue | undefined, prefix = ''): string {
  if (!issue) return 'the state document is not valid.';
  let path = prefix;
  for (const key of issue.path) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += path.length === 0 ? String(key) : `.${String(key)}`;
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return `${path || '(document)'}: ${message}. Fix the state file or re-run the collection script.`;
}

/**
 * The state file is at most 5 levels deep; extra fields pass through untouched (looseObject), so a
 * hostile file nested thousands of levels would later overflow the stack of whoever serialises the
 * state (poll --json, the engine's saved state). Refuse it here, with the path, instead.
 */
const MAX_DEPTH = 64;

/** The path of the first value nested deeper than `limit`, or null. Iterative: safe for any depth. */
function findTooDeep(root: unknown, limit: number): string | null {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return path || '(document)';
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [path ? `.${k}` : k, v]);
    // The path names where the nesting starts; beyond a few steps it would only be "[0][0][0]...".
    for (const [step, child] of entries) stack.push({ value: child, depth: depth + 1, path: depth < 4 ? `${path}${step}` : path.endsWith('...') ? path : `${path}...` });
  }
  return null;
}

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
