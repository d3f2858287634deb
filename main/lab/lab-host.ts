/**
 * The host port over a lab folder: what the engine sees instead of PowerShell. Every call re-reads
 * the lab on disk (cached by file identity), so changes made by `eems-watch lab advance` in another
 * process, by advance() or by run() are all seen; writes go through the lab lock.
 */
import { resolve } from 'node:path';
import type { EemsEvent, ServerState, StateDocument } from '../core/model.js';
import type { ActionStep, Clock, CollectRequest, EndpointCheck, HostPort, LogLocation, StepResult } from '../core/ports.js';
import { failureTexts, OCS_URL } from './eems-texts.js';
import { advanceLab, setLabFault } from './lab.js';
import { takeRunFault } from './lab-faults.js';
import { executeStep } from './lab-steps.js';
import { isValidServerName, labPaths, loadLab, readLabCached, readServerEvents, readStateCached, saveLab, withLabLock } from './lab-store.js';
import type { LabDocument, LabFault, LabServer } from './lab-types.js';
import { LabWriter } from './lab-writer.js';

/** The lab as a HostPort, with its clock. */
export interface LabHost extends HostPort {
  /** HostPort.collect; `signal` abandons a call that hangs on a hung server. */
  collect(request: CollectRequest, options?: { signal?: AbortSignal }): Promise<StateDocument>;
  events(server: string, sinceRecordId: number, options?: { signal?: AbortSignal }): Promise<EemsEvent[]>;
  run(step: ActionStep, options?: { signal?: AbortSignal }): Promise<StepResult>;
  /** The lab clock: now() is the lab's time, re-read from lab.json. */
  clock: Clock;
  testEndpoint(server: string, options?: { signal?: AbortSignal }): Promise<EndpointCheck>;
  /** Let hours pass in the lab (advanceLab). */
  advance(hours: number): Promise<void>;
  /** Switch a fault (setLabFault). */
  setFault(server: string | null, fault: LabFault): Promise<string>;
  /** Reject every call that hangs on a hung server, so tests leave nothing pending. */
  close(): void;
  readonly dir: string;
}

export interface LabHostOptions {
  /** Simulated round trip per server call (default 0). */
  latencyMs?: number;
}

/** What a hung call waits for at most, if nobody closes the host (its timer does not keep Node alive). */
const HANG_MS = 24 * 3_600_000;

class HangRegistry {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();

  hang(server: string, signal?: AbortSignal): Promise<never> {
    return new Promise<never>((_, reject) => {
      const entry = {
        timer: setTimeout(() => finish(new Error(`The call to ${server} did not answer within 24 hours.`)), HANG_MS),
        reject,
      };
      entry.timer.unref();
      const finish = (error: Error) => {
        clearTimeout(entry.timer);
        this.pending.delete(entry);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => finish(new Error(`The call to ${server} was abandoned after it hung.`));
      entry.reject = finish;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(entry);
    });
  }

  closeAll(): void {
    for (const entry of [...this.pending]) entry.reject(new Error('The lab host was closed while a call to a hung server was waiting.'));
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((done) => setTimeout(done, ms)) : Promise.resolve();
}

function unreachableSentence(name: string): string {
  return `${name} could not be reached: the WinRM client cannot complete the operation (the server is down or a firewall blocks port 80). Check that ${name} is running and reachable, then poll again.`;
}

function emptyServer(name: string, error: string): ServerState {
  return { Name: name, MitigationsApplied: [], MitigationsBlocked: [], RewriteRules: [], AppPools: [], Services: [], Error: error };
}

/** Create the host over an existing lab (rejects with a sentence when the folder holds none). */
export async function createLabHost(dir: string, options: LabHostOptions = {}): Promise<LabHost> {
  const root = resolve(dir);
  readLabCached(root);
  const latency = Math.max(0, options.latencyMs ?? 0);
  const hangs = new HangRegistry();

  /** The lab's record of a server, or an error sentence. */
  const lookup = (name: string): { lab: LabDocument; server: LabServer } | { error: string } => {
    if (typeof name !== 'string' || !isValidServerName(name)) return { error: `'${String(name)}' is not a valid server name.` };
    const lab = readLabCached(root);
    const server = lab.servers.find((s) => s.name.toLowerCase() === name.toLowerCase());
    return server ? { lab, server } : { error: `${name} is not part of this lab (servers: ${lab.servers.map((s) => s.name).join(', ')}).` };
  };

  const collectOne = async (name: string, signal?: AbortSignal): Promise<ServerState> => {
    const found = lookup(name);
    if ('error' in found) return emptyServer(name, found.error);
    if (found.server.hung) await hangs.hang(name, signal);
    await delay(latency);
    const again = lookup(name);
    if ('error' in again) return emptyServer(name, again.error);
    if (again.server.unreachable) return emptyServer(again.server.name, unreachableSentence(again.server.name));
    const state = readStateCached(root).servers.find((s) => s.Name === again.server.name);
    return state ? structuredClone(state) : emptyServer(name, `${name} has no state in this lab.`);
  };

  return {
    dir: root,
    clock: { now: () => new Date(readLabCached(root).now) },

    async collect(request: CollectRequest, opts?: { signal?: AbortSignal }): Promise<StateDocument> {
      const servers: ServerState[] = [];
      for (const name of request.servers) servers.push(await collectOne(name, opts?.signal));
      const state = readStateCached(root);
      return {
        collectedAt: readLabCached(root).now,
        organization: structuredClone(state.organization),
        servers,
      };
    },

    async events(server: string, sinceRecordId: number, opts?: { signal?: AbortSignal }): Promise<EemsEvent[]> {
      const found = lookup(server);
      if ('error' in found) throw new Error(found.error);
      if (found.server.hung) await hangs.hang(server, opts?.signal);
      await delay(latency);
      const again = lookup(server);
      if ('error' in again) throw new Error(again.error);
      if (again.server.unreachable) throw new Error(unreachableSentence(again.server.name));
      return readServerEvents(root, again.server.name, sinceRecordId);
    },

    async run(step: ActionStep, opts?: { signal?: AbortSignal }): Promise<StepResult> {
      if (step.server !== null) {
        const found = lookup(step.server);
        if ('error' in found) return { ok: false, changed: false, message: found.error };
        if (found.server.hung) await hangs.hang(step.server, opts?.signal);
      }
      await delay(latency);
      return withLabLock(root, async () => {
        const { lab, state } = await loadLab(root);
        const labServer = step.server === null ? null : lab.servers.find((s) => s.name.toLowerCase() === step.server!.toLowerCase()) ?? null;
        if (labServer?.unreachable) return { ok: false, changed: false, message: unreachableSentence(labServer.name) };
        const normalised: ActionStep = labServer ? { ...step, server: labServer.name } : step;
        const fault = takeRunFault(lab, labServer);
        if (fault) {
          await saveLab(root, lab, state);
          const where = labServer?.name ?? 'the organisation';
          return {
            ok: false,
            changed: false,
            message:
              fault.message ??
              `${step.kind} failed on ${where}: Filename: \\\\?\\C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\web.config Error: Cannot write configuration file (lab fault at step ${fault.atStep}). Nothing was changed; run the plan again to resume.`,
          };
        }
        const writer = new LabWriter(root, lab);
        const result = await executeStep(writer, state, normalised, new Date(lab.now).getTime());
        await writer.flush();
        await saveLab(root, lab, state);
        return result;
      });
    },

    logLocation(server: string): LogLocation | null {
      const found = lookup(server);
      return 'error' in found ? null : { server: found.server.name, folder: labPaths.logs(root, found.server.name) };
    },

    /** The server's fetch as Test-MitigationServiceConnectivity would see it: its fetch fault decides. */
    async testEndpoint(server: string, opts?: { signal?: AbortSignal }): Promise<EndpointCheck> {
      const found = lookup(server);
      if ('error' in found) throw new Error(found.error);
      if (found.server.hung) await hangs.hang(server, opts?.signal);
      await delay(latency);
      const again = lookup(server);
      if ('error' in again) throw new Error(again.error);
      if (again.server.unreachable) throw new Error(unreachableSentence(again.server.name));
      const state = readStateCached(root).servers.find((s) => s.Name === again.server.name);
      const fault = again.server.fetchFault;
      // The endpoint answers 200 to a plain GET even when the service then refuses the XML's
      // signature (GRANIKOS-2): only transport failures make the check fail.
      const transport = fault === 'tls-chain' || fault === 'revocation' || fault === 'proxy' || fault === 'network';
      return {
        server: again.server.name,
        checkedAt: readLabCached(root).now,
        reachable: !transport,
        statusCode: transport ? (fault === 'proxy' ? 407 : null) : 200,
        url: OCS_URL,
        proxy: state?.InternetWebProxy ?? null,
        error: transport && fault ? failureTexts(fault).eventInner : null,
      };
    },

    async advance(hours: number): Promise<void> {
      await advanceLab(root, hours);
    },

    setFault: (server, fault) => setLabFault(root, server, fault),

    close: () => hangs.closeAll(),
  };
}
