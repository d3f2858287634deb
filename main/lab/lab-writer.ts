/**
 * Everything one lab operation writes, gathered in memory and appended at the end: log lines go
 * to the day file of their UTC date (with the header when the file is new), events get the next
 * RecordId of their server (with gaps, as other sources share the Application log).
 */
import type { EemsEvent, ServerState } from '../core/model.js';
import { type EventDraft, type LogLine, formatLogHeader, formatLogLine, logFileName } from './eems-texts.js';
import { AppendBatch, labPaths } from './lab-store.js';
import { drawInt } from './lab-random.js';
import type { LabDocument, LabServer, ServerAdvanceReport } from './lab-types.js';
import { join } from 'node:path';

/** The sink of one lab operation. */
export class LabWriter {
  private readonly batch = new AppendBatch();
  private readonly reports = new Map<string, ServerAdvanceReport>();

  constructor(
    readonly dir: string,
    readonly lab: LabDocument,
  ) {}

  /** Append log lines for a server (times must not go backwards within a server). */
  log(server: ServerState, lines: LogLine[]): void {
    for (const line of lines) {
      const path = join(labPaths.logs(this.dir, server.Name), logFileName(line.time));
      const text = formatLogLine(server.Name, line);
      if (!this.batch.knows(path)) this.batch.add(path, formatLogHeader(server.ExSetupVersion ?? '15.02.0000.000', line.time));
      this.batch.add(path, [text]);
    }
  }

  /** Append one event to the server's Application log; returns it with its RecordId. */
  event(server: ServerState, draft: EventDraft): EemsEvent {
    const labServer = this.labServer(server.Name);
    const recordId = labServer.lastRecordId + 1 + drawInt(this.lab.seed, 0, 37, 'gap', server.Name, labServer.lastRecordId);
    labServer.lastRecordId = recordId;
    const domain = (server.Fqdn ?? '').split('.').slice(1).join('.') || 'contoso.com';
    const event: EemsEvent = {
      recordId,
      eventId: draft.eventId,
      level: draft.level,
      time: new Date(draft.time).toISOString(),
      machine: `${server.Name}.${domain}`,
      provider: draft.provider,
      message: draft.message,
    };
    this.batch.add(labPaths.events(this.dir, server.Name), [JSON.stringify(event)]);
    return event;
  }

  /** The report of a server for this operation (created on first use). */
  report(name: string): ServerAdvanceReport {
    let report = this.reports.get(name);
    if (!report) {
      report = { server: name, cycles: 0, failedFetches: 0, lastFailure: null, happened: [] };
      this.reports.set(name, report);
    }
    return report;
  }

  reportList(): ServerAdvanceReport[] {
    return this.lab.servers.map((s) => this.report(s.name));
  }

  labServer(name: string): LabServer {
    const found = this.lab.servers.find((s) => s.name === name);
    if (!found) throw new Error(`Server ${name} is not part of this lab.`);
    return found;
  }

  /** Write everything: Exchange logs end lines with CRLF, the event file with LF. */
  async flush(): Promise<void> {
    await this.batch.flush((path) => (path.toLowerCase().endsWith('.log') ? '\r\n' : '\n'));
  }
}
