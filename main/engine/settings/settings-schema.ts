/**
 * The one settings schema: the config file of `eems-watch poll --config`, the conf store of
 * headless mode and electron-store in the app all hold this document. Defaults live here; a
 * change of shape adds a named migration step (settings-migrations.ts), never an ad-hoc fix.
 */
import { z } from 'zod';

/** Server names as Exchange allows them (NetBIOS or DNS labels); nothing that a shell could read. */
export const serverNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a server name: letters, digits, ".", "_" and "-" only');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM');

export const serverEntrySchema = z
  .object({
    name: serverNameSchema,
    /** DNS name for remoting, e.g. ex01.contoso.com. */
    fqdn: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'must be a DNS name').optional(),
    /** Where the Mitigation Service log can be read, e.g. \\ex01\c$\Program Files\Microsoft\Exchange Server\V15\Logging\MitigationService. */
    logFolder: z.string().min(1).max(1024).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();

export const settingsSchema = z
  .object({
    schemaVersion: z.literal(1).default(1),
    connection: z
      .object({
        /** lab: the simulated organisation; local: Exchange Management Shell here; remote: PowerShell remoting. */
        mode: z.enum(['lab', 'local', 'remote']).default('lab'),
        labDir: z.string().min(1).optional(),
        /** {server} is replaced by the server's FQDN (or name). */
        remoteUri: z.string().regex(/^https?:\/\/[^\s'"`;$]+$/, 'must be an http(s) URI such as http://{server}/PowerShell/').default('http://{server}/PowerShell/'),
        authentication: z.enum(['Kerberos', 'Negotiate', 'Default']).default('Kerberos'),
        /** The PowerShell executable (tests point it at a stand-in program). */
        powershellPath: z.string().min(1).default('powershell.exe'),
        callTimeoutSeconds: z.number().int().min(5).max(3600).default(120),
      })
      .strict()
      .default({ mode: 'lab', remoteUri: 'http://{server}/PowerShell/', authentication: 'Kerberos', powershellPath: 'powershell.exe', callTimeoutSeconds: 120 }),
    servers: z.array(serverEntrySchema).default([]),
    events: z
      .object({
        /** per-server: each server's Application log; forwarded: a Windows Event Forwarding collector. */
        source: z.enum(['per-server', 'forwarded']).default('per-server'),
        collector: serverNameSchema.optional(),
      })
      .strict()
      .default({ source: 'per-server' }),
    poll: z
      .object({
        stateMinutes: z.number().min(1).max(1440).default(5),
        eventsMinutes: z.number().min(0.25).max(1440).default(1),
        concurrency: z.number().int().min(1).max(64).default(8),
      })
      .strict()
      .default({ stateMinutes: 5, eventsMinutes: 1, concurrency: 8 }),
    alerts: z
      .object({
        heartbeatGraceMinutes: z.number().int().min(61).max(7 * 24 * 60).default(120),
        fetchErrorThreshold: z.number().int().min(1).max(48).default(2),
      })
      .strict()
      .default({ heartbeatGraceMinutes: 120, fetchErrorThreshold: 2 }),
    notifications: z
      .object({
        enabled: z.boolean().default(true),
        minSeverity: z.enum(['info', 'warning', 'critical']).default('warning'),
        quietHours: z
          .object({ enabled: z.boolean().default(false), start: hhmm.default('22:00'), end: hhmm.default('07:00') })
          .strict()
          .default({ enabled: false, start: '22:00', end: '07:00' }),
      })
      .strict()
      .default({ enabled: true, minSeverity: 'warning', quietHours: { enabled: false, start: '22:00', end: '07:00' } }),
    /** A user-supplied knowledge-base file that adds or overrides builds and mitigations. */
    knowledgeOverrideFile: z.string().min(1).nullable().default(null),
    /**
     * An https URL of a knowledge update (wins over knowledgeOverrideFile). Set only in the settings
     * file on disk: updateSettings (the UI and API transport) refuses to change it.
     */
    knowledgeUrl: z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL').nullable().default(null),
    /** Proxy for verify-feed fetches; null: the system's (HTTPS_PROXY). */
    proxy: z.string().url().nullable().default(null),
    startAtLogin: z.boolean().default(false),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
export type ServerEntry = z.infer<typeof serverEntrySchema>;

/** The defaults: a fresh install, demo mode. */
export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}

/** A server entry's problem in words: "Server 3, name (servers.2.name): 'ex 01' has a space; ...". */
function serverIssue(doc: unknown, path: Array<string | number>, message: string): string {
  const index = path[1] as number;
  const key = path[2];
  let value: unknown = doc;
  for (const part of path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[part] : undefined;
  const shown = typeof value === 'string' ? `'${value.slice(0, 80)}' ` : '';
  const problem =
    key === 'name' && typeof value === 'string' && /\s/.test(value)
      ? "has a space; server names are letters, digits, '-', '.' and '_' only"
      : key === 'name' && typeof value === 'string'
        ? "is not a server name; server names are letters, digits, '-', '.' and '_' only"
        : message;
  return `Server ${index + 1}, ${key ?? 'entry'} (${path.join('.')}): ${shown}${problem}`;
}

/** Parse a settings document; the error names the exact field at fault ("poll.concurrency: ..."). */
export function parseSettings(value: unknown): { ok: true; value: Settings } | { ok: false; error: string } {
  const parsed = settingsSchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map((part) => (typeof part === 'symbol' ? String(part) : part));
  const where = path.length > 0 ? path.join('.') : '(document)';
  if (path[0] === 'servers' && typeof path[1] === 'number') return { ok: false, error: serverIssue(value, path, issue?.message ?? 'invalid') };
  return { ok: false, error: `${where}: ${issue?.message ?? 'invalid'}` };
}
