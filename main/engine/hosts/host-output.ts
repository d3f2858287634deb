/**
 * What the bundled scripts print, checked before anything trusts it: one JSON envelope
 * ({ ok: true, result } or { ok: false, error }), then a schema per script. Output that is not the
 * envelope becomes a sentence an admin understands, with the first 200 characters of what came back.
 */
import { z } from 'zod';
import type { EemsEvent, EventLevel } from '../../core/model.js';
import type { StepResult } from '../../core/ports.js';

const envelopeSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

/** The script's own answer, or why its output could not be read. */
export type EnvelopeReading =
  | { kind: 'result'; result: unknown }
  | { kind: 'script-error'; error: string }
  | { kind: 'unreadable'; snippet: string };

/**
 * Read the envelope from a script's stdout. The whole output should be the envelope; if PowerShell
 * printed something before it anyway (a WARNING line the script could not silence), the last line
 * that parses as an envelope is used.
 */
export function readEnvelope(stdout: string): EnvelopeReading {
  const candidates = [stdout.trim(), ...stdout.split(/\r?\n/).reverse().map((line) => line.trim())];
  for (const candidate of candidates) {
    if (!candidate.startsWith('{')) continue;
    let json: unknown;
    try {
      json = JSON.parse(candidate);
    } catch {
      continue;
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) continue;
    return parsed.data.ok ? { kind: 'result', result: parsed.data.result } : { kind: 'script-error', error: parsed.data.error };
  }
  return { kind: 'unreadable', snippet: snippet(stdout) };
}

/** The first 200 characters of a text, control characters shown as spaces, for a sentence. */
export function snippet(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (clean.length === 0) return '(nothing)';
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

const LEVEL_BY_NUMBER: Record<number, EventLevel> = { 1: 'Critical', 2: 'Error', 3: 'Warning', 4: 'Information', 5: 'Verbose' };
const LEVELS: readonly EventLevel[] = ['Critical', 'Error', 'Warning', 'Information', 'Verbose', 'Unknown'];

/**
 * The Level of an event record: the script sends the number (LevelDisplayName is localised).
 * Level 0 (LogAlways) is what classic events written without a level carry: read as Information.
 * INFERRED: the EM service's exact levels are unverified (eems-domain.md §1).
 */
const levelSchema = z.union([z.number().int(), z.string()]).transform((value): EventLevel => {
  if (typeof value === 'number') return value === 0 ? 'Information' : LEVEL_BY_NUMBER[value] ?? 'Unknown';
  return LEVELS.find((level) => level.toLowerCase() === value.toLowerCase()) ?? 'Unknown';
});

const eventSchema = z.object({
  recordId: z.number().int().nonnegative(),
  eventId: z.number().int().nonnegative(),
  level: levelSchema,
  time: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a readable ISO 8601 time'),
  machine: z.string(),
  provider: z.string(),
  message: z.string().nullable().transform((m) => m ?? ''),
  data: z.array(z.string().nullable().transform((d) => d ?? '')).nullable().optional(),
});

const eventsSchema = z.array(eventSchema);

/** Validate read-events.ps1's result: EemsEvent[] with RecordId > since, oldest first. */
export function readEvents(result: unknown, sinceRecordId: number): { ok: true; events: EemsEvent[] } | { ok: false; error: string } {
  // One event may come unwrapped from its list (ConvertTo-Json does that to a list of one).
  const list = result === null || result === undefined ? [] : Array.isArray(result) ? result : [result];
  const parsed = eventsSchema.safeParse(list);
  if (!parsed.success) return { ok: false, error: describeIssue(parsed.error.issues[0]) };
  const events: EemsEvent[] = parsed.data
    .filter((e) => e.recordId > sinceRecordId)
    .map((e) => {
      const event: EemsEvent = { recordId: e.recordId, eventId: e.eventId, level: e.level, time: new Date(e.time).toISOString(), machine: e.machine, provider: e.provider, message: e.message };
      // An event without insertion strings says nothing more through an empty list: left out, as the lab does.
      if (e.data && e.data.length > 0) event.data = e.data;
      return event;
    })
    .sort((a, b) => a.recordId - b.recordId);
  return { ok: true, events };
}

const stepResultSchema = z.object({
  ok: z.boolean(),
  changed: z.boolean(),
  message: z.string().min(1),
  backupPath: z.string().min(1).nullable().optional(),
});

/** Validate run-step.ps1's result. */
export function readStepResult(result: unknown): { ok: true; value: StepResult } | { ok: false; error: string } {
  const parsed = stepResultSchema.safeParse(result);
  if (!parsed.success) return { ok: false, error: describeIssue(parsed.error.issues[0]) };
  const value: StepResult = { ok: parsed.data.ok, changed: parsed.data.changed, message: parsed.data.message };
  if (parsed.data.backupPath) value.backupPath = parsed.data.backupPath;
  return { ok: true, value };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'the result is not valid';
  const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  return `result${path}: ${issue.message.replace(/^Invalid input: /, '')}`;
}
