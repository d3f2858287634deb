/**
 * What a write cmdlet of the simulated Exchange does to the lab's organisation: the simulated
 * module (SimLab.psm1) pipes one JSON operation to this program, which applies it with the lab's
 * own world model (the same functions `eems-watch lab` and the lab host use) and saves the lab.
 * The PowerShell side decides WHAT to write (the bundled scripts' logic runs unchanged); this side
 * only records that it was written, so the two hosts share one organisation on disk.
 *
 * One operation is not a write: `begin-step`, which a step of run-step.ps1 sends before it touches
 * anything, counts the step against the lab's fail-run switch (the server's runFault, or orgRunFault
 * for an organisation step) exactly as the lab host counts it (takeRunFault), and answers whether
 * this step is the one that fails; the simulated cmdlets then fail it (SimLab, Enter-SimStep).
 *
 * Usage: node lab-apply.js LAB_DIR < operation.json
 *   (prints {"ok":true}, for begin-step {"ok":true,"fail":null|{"atStep":n,"message":..}}, or exits 1 with a sentence)
 */
import { z } from 'zod';
import { startService } from '../eems-cycle.js';
import { DEFAULT_CALLER, setOrgMitigationsEnabled, setServerMitigationsEnabled, takeRunFault } from '../lab-faults.js';
import { setMitigationsBlocked } from '../lab-steps.js';
import { loadLab, saveLab, withLabLock } from '../lab-store.js';
import { LabWriter } from '../lab-writer.js';
import { normaliseLocation } from '../../core/mitigations/artefacts.js';

const server = z.string().min(1);
const operation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set-org'), enabled: z.boolean() }),
  z.object({ op: z.literal('set-server'), server, mitigationsEnabled: z.boolean().optional(), mitigationsBlocked: z.array(z.string()).optional() }),
  z.object({ op: z.literal('start-service'), server, name: z.string() }),
  z.object({ op: z.literal('set-service'), server, name: z.string(), startType: z.string() }),
  z.object({ op: z.literal('start-app-pool'), server, name: z.string() }),
  z.object({ op: z.literal('remove-rule'), server, name: z.string(), location: z.string(), configFile: z.string() }),
  z.object({ op: z.literal('begin-step'), server: server.nullable() }),
]);
export type LabOperation = z.infer<typeof operation>;

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether a step is the one the lab's fail-run switch fails: null, or the switch (now cleared). */
export type StepFault = { atStep: number; message: string | null } | null;

/**
 * Count one step of a plan (server null: an organisation step) against the lab's fail-run switch,
 * as the lab host's run() does: a server the lab does not know, or one that is unreachable or hung,
 * never gets as far as the count.
 */
async function beginStep(dir: string, serverName: string | null): Promise<StepFault> {
  return withLabLock(dir, async () => {
    const { lab, state } = await loadLab(dir);
    const labServer = serverName === null ? null : lab.servers.find((s) => same(s.name, serverName));
    if (labServer === undefined || labServer?.unreachable || labServer?.hung) return null;
    if (!(labServer ? labServer.runFault : lab.orgRunFault)) return null;
    const fault = takeRunFault(lab, labServer);
    await saveLab(dir, lab, state);
    return fault;
  });
}

/** Apply one operation to the lab in `dir` (under the lab lock) at the lab's own clock; begin-step answers with its StepFault. */
export async function applyLabOperation(dir: string, input: unknown): Promise<StepFault | void> {
  const op = operation.parse(input);
  if (op.op === 'begin-step') return beginStep(dir, op.server);
  await withLabLock(dir, async () => {
    const { lab, state } = await loadLab(dir);
    const time = new Date(lab.now).getTime();
    const writer = new LabWriter(dir, lab);
    if (op.op === 'set-org') {
      setOrgMitigationsEnabled(writer, state, op.enabled, DEFAULT_CALLER, time);
    } else {
      const target = state.servers.find((s) => same(s.Name, op.server));
      if (!target) throw new Error(`${op.server} is not a server of this lab.`);
      switch (op.op) {
        case 'set-server':
          if (op.mitigationsEnabled !== undefined) setServerMitigationsEnabled(target, op.mitigationsEnabled, DEFAULT_CALLER, time);
          if (op.mitigationsBlocked !== undefined) setMitigationsBlocked(target, op.mitigationsBlocked, DEFAULT_CALLER, time);
          break;
        case 'start-service': {
          if (same(op.name, 'MSExchangeMitigation')) {
            if (target.Service?.Status !== 'Running') startService(writer, target, time, 'Start-Service');
            break;
          }
          const service = target.Services.find((s) => same(s.Name, op.name));
          if (!service) throw new Error(`${target.Name} has no service ${op.name}.`);
          service.Status = 'Running';
          break;
        }
        case 'set-service': {
          if (same(op.name, 'MSExchangeMitigation')) {
            target.Service = { Status: target.Service?.Status ?? 'Stopped', StartType: op.startType };
            break;
          }
          const service = target.Services.find((s) => same(s.Name, op.name));
          if (!service) throw new Error(`${target.Name} has no service ${op.name}.`);
          service.StartType = op.startType;
          break;
        }
        case 'start-app-pool': {
          const pool = target.AppPools.find((p) => same(p.Name, op.name));
          if (!pool) throw new Error(`${target.Name} has no app pool ${op.name}.`);
          pool.State = 'Started';
          break;
        }
        case 'remove-rule':
          target.RewriteRules = target.RewriteRules.filter(
            (r) => !(r.Name === op.name && normaliseLocation(r.Location) === normaliseLocation(op.location) && (!r.ConfigFile || same(r.ConfigFile, op.configFile))),
          );
          break;
      }
    }
    await writer.flush();
    await saveLab(dir, lab, state);
  });
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('Usage: node lab-apply.js LAB_DIR < operation.json');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fault = await applyLabOperation(dir, input);
  process.stdout.write(`${JSON.stringify(fault === undefined ? { ok: true } : { ok: true, fail: fault })}\n`);
}

// Run as a program only when given the lab folder (node --test loads this file without arguments).
if (process.argv[2] && process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
