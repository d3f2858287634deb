/**
 * What the conformance suites share (host-conformance*.test.ts): demo labs in temporary folders
 * (each suite removes its own), state documents made comparable across the two hosts, and a plan
 * run step by step as the engine runs it.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateDocument } from '../../../main/core/model.js';
import type { ActionStep, HostPort, StepResult } from '../../../main/core/ports.js';
import { createLabHost } from '../../../main/lab/lab-host.js';
import { initLab } from '../../../main/lab/lab.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Times compare as instants ("...:10Z" and "...:10.000Z" are the same time); everything else as is. */
export function normalise(value: unknown): unknown {
  if (typeof value === 'string') return ISO.test(value) ? new Date(value).toISOString() : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

/** Temporary lab folders of one suite: `cleanup()` in its after(). */
export function labFolders(prefix: string) {
  const dirs: string[] = [];
  const makeTempDir = async (tag: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), `eems-${prefix}${tag}`));
    dirs.push(dir);
    return dir;
  };
  return {
    /** The demo lab, `hours` into its story. */
    async newLab(hours: number): Promise<string> {
      const dir = await makeTempDir('lab-');
      await initLab(dir, { scenario: 'demo' });
      const host = await createLabHost(dir);
      if (hours > 0) await host.advance(hours);
      host.close();
      return dir;
    },
    /** A copy of a lab, so each host can get the same organisation to change. */
    async copyLab(from: string): Promise<string> {
      const dir = await makeTempDir('copy-');
      await cp(from, dir, { recursive: true });
      return dir;
    },
    async cleanup(): Promise<void> {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    },
  };
}

const SECTION_ORDER = ['inbound', 'outbound', 'precondition'];

/**
 * A collection through one host, ready to compare: times as instants, and each server's rules by
 * file, location and section (the script reads a file section by section; the order of rules inside
 * a section, which IIS evaluates in order, is kept).
 */
export async function collected(host: HostPort, servers: string[]): Promise<StateDocument> {
  const doc = normalise(await host.collect({ servers })) as StateDocument;
  for (const server of doc.servers) {
    const key = (r: StateDocument['servers'][number]['RewriteRules'][number]) => `${r.ConfigFile}|${r.Location}|${SECTION_ORDER.indexOf(r.Direction)}`;
    server.RewriteRules = [...server.RewriteRules].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  return doc;
}

/** Run a plan step by step; stop at the first failure, as the engine does. */
export async function runPlan(host: HostPort, steps: ActionStep[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const result = await host.run(step);
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/** What a plan's results say, without the wording (which differs between the hosts). */
export const outcome = (results: StepResult[]) => results.map((r) => ({ ok: r.ok, changed: r.changed, backup: r.backupPath !== undefined }));
