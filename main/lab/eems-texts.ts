/**
 * What the simulated service writes: Mitigation Service log lines in the real format and the
 * Application event texts. CONFIRMED texts (eems-domain.md §1, §2, §5) are used verbatim; the rest
 * is marked INFERRED where it is defined.
 */
import type { EventLevel } from '../core/model.js';
import type { FetchFailureCode } from './lab-types.js';

export const OCS_URL = 'https://officeclient.microsoft.com/getexchangemitigations';
export const ENGINE_SOURCE = 'Microsoft.Exchange.Mitigation.Service.Mitigations.MitigationEngine';
export const EEMS_PROVIDER = 'MSExchange Mitigation Service';
export const COMMON_PROVIDER = 'MSExchange Common';
/** INFERRED: the header lines and the leading columns were not found in any source. */
export const LOG_FIELDS = 'DateTime,ServerName,Component,CustomData';

export type LogLineLevel = 'Information' | 'Warning' | 'Error';

/** One log line before formatting. */
export interface LogLine {
  time: number;
  component: string;
  level: LogLineLevel;
  message: string;
  source?: string;
}

/** A typed custom-data pair, quoted with '' doubling when the value holds a separator or a quote. */
function pair(key: string, value: string): string {
  const text = `S:${key}=${value}`;
  return /[;,']/.test(value) ? `'${text.replaceAll("'", "''")}'` : text;
}

/** `2026-06-10T09:00:02.031Z,EX01,FetchMitigation,S:LogLevel=Information;S:Message=...` */
export function formatLogLine(server: string, line: LogLine): string {
  const data = [pair('LogLevel', line.level), pair('Message', line.message)];
  if (line.source) data.push(pair('Source', line.source));
  return `${new Date(line.time).toISOString()},${server},${line.component},${data.join(';')}`;
}

/** The header a new day file starts with (INFERRED, Exchange CSV log convention). */
export function formatLogHeader(exSetupVersion: string, firstLineTime: number): string[] {
  return [
    '#Software: Microsoft Exchange Server',
    `#Version: ${exSetupVersion}`,
    '#Log-type: Mitigation Service Log',
    `#Date: ${new Date(firstLineTime).toISOString()}`,
    `#Fields: ${LOG_FIELDS}`,
  ];
}

/**
 * Mitigation-Service_20260610.log: the prefix and the daily rollover are CONFIRMED (BLOG-2021-10,
 * eems-domain.md K4); the date format and the extension are not known, so this is the lab's
 * choice [INFERRED] and EEMS Watch reads every *.log of the folder, any case.
 */
export function logFileName(time: number): string {
  const day = new Date(time).toISOString().slice(0, 10).replaceAll('-', '');
  return `Mitigation-Service_${day}.log`;
}

/** One event before it gets its RecordId. */
export interface EventDraft {
  time: number;
  eventId: number;
  level: EventLevel;
  provider: string;
  message: string;
}

const EXCEPTION_PREFIX = 'Exception encountered while fetching mitigations : ';
const AGGREGATE = 'One or more errors occurred.';

/** The log lines and the 1008 inner text of a failed fetch, per diagnosis code. */
export interface FailureTexts {
  warning: string | null;
  error: string;
  eventInner: string;
}

const FAILURES: Record<FetchFailureCode, FailureTexts> = {
  // CONFIRMED: GRANIKOS-1 (log lines and the full exception chain).
  'tls-chain': {
    warning: 'TLS certificate or its chain validation failed',
    error: EXCEPTION_PREFIX + AGGREGATE,
    eventInner:
      'System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: An error occurred while sending the request. ---> System.Net.WebException: The underlying connection was closed: Could not establish trust relationship for the SSL/TLS secure channel. ---> System.Security.Authentication.AuthenticationException: The remote certificate is invalid according to the validation procedure.',
  },
  // CONFIRMED: GRANIKOS-2 (log line); inside the 1008 event: INFERRED.
  'signing-cert': {
    warning: null,
    error: `${EXCEPTION_PREFIX}This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft`,
    eventInner: "This XML is not deemed safe to consume since Response xml's signing cert is invalid or not from microsoft",
  },
  // INFERRED: the Windows CRYPT_E_REVOCATION_OFFLINE text; no EEMS capture was found.
  revocation: {
    warning: 'The revocation function was unable to check revocation because the revocation server was offline.',
    error: `${EXCEPTION_PREFIX}The revocation function was unable to check revocation because the revocation server was offline.`,
    eventInner:
      'System.Security.Cryptography.CryptographicException: The revocation function was unable to check revocation because the revocation server was offline.',
  },
  // CONFIRMED: BLOG-2025-01 (Warning line); the 1008 inner text naming the endpoint: INFERRED.
  'untrusted-endpoint': {
    warning: 'Connection attempted against untrusted endpoint',
    error: EXCEPTION_PREFIX + AGGREGATE,
    eventInner: 'System.AggregateException: One or more errors occurred. ---> Connection attempted against untrusted endpoint',
  },
  // INFERRED: the .NET WebException text for a proxy asking for credentials.
  proxy: {
    warning: null,
    error: `${EXCEPTION_PREFIX}The remote server returned an error: (407) Proxy Authentication Required.`,
    eventInner:
      'System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: An error occurred while sending the request. ---> System.Net.WebException: The remote server returned an error: (407) Proxy Authentication Required.',
  },
  // INFERRED: the .NET WebException text for a name that does not resolve.
  network: {
    warning: null,
    error: `${EXCEPTION_PREFIX}The remote name could not be resolved: 'officeclient.microsoft.com'`,
    eventInner:
      "System.AggregateException: One or more errors occurred. ---> System.Net.Http.HttpRequestException: An error occurred while sending the request. ---> System.Net.WebException: The remote name could not be resolved: 'officeclient.microsoft.com'",
  },
};

/** The texts a fetch failing with this code writes. */
export function failureTexts(code: FetchFailureCode): FailureTexts {
  return FAILURES[code];
}

/** Short words for the lab's own output: "signing certificate not accepted". */
export const FAILURE_WORDS: Record<FetchFailureCode, string> = {
  'tls-chain': 'TLS certificate chain not trusted',
  'signing-cert': 'signing certificate not accepted',
  revocation: 'revocation could not be checked',
  'untrusted-endpoint': 'untrusted endpoint: build too old',
  proxy: 'proxy refused the request',
  network: 'endpoint unreachable',
};

/** The 1008 message (CONFIRMED first line and "Diagnostic information:" prefix, BLOG-2025-01). */
export function fetchErrorEvent(code: FetchFailureCode): string {
  return `An unexpected exception occurred.\r\nDiagnostic information: ${EXCEPTION_PREFIX}${FAILURES[code].eventInner}`;
}

/**
 * Texts of 1001/1002 (start and stop: the ids and source are CONFIRMED, BLOG-2021-10, K3; the
 * wording is INFERRED), 1005 (applied) and 1006 (summary) (INFERRED).
 */
export const EVENT_TEXT = {
  started: 'The Microsoft Exchange Emergency Mitigation service started successfully.',
  stopped: 'The Microsoft Exchange Emergency Mitigation service stopped.',
  applied: (id: string, description: string) => `Mitigation ${id} was applied successfully. Description: ${description}`,
  summary: (applied: string[], blocked: string[]) =>
    `Mitigations applied on this server: ${applied.join(', ') || '(none)'}. Mitigations blocked on this server: ${blocked.join(', ') || '(none)'}.`,
};

/**
 * The 4999 Watson report of MSExchange Common for a crash of the mitigation service, in the shape
 * the seed's comments quote (CONFIRMED, BLOG-2021-10 comments, eems-domain.md K5): `E12IIS,
 * c-RTL-AMD64, <version>, M.E.Mitigation.Service, mscorlib, M.W.RegistryKey.InternalGetValue,
 * System.OutOfMemoryException, ...`: the process field is abbreviated, not the service name. The
 * fields after the exception are INFERRED.
 */
export function watsonEvent(exSetupVersion: string, processId: number): string {
  return (
    `Watson report about to be sent for process id: ${processId}, with parameters: E12IIS, c-RTL-AMD64, ${exSetupVersion}, ` +
    `M.E.Mitigation.Service, mscorlib, M.W.RegistryKey.InternalGetValue, ` +
    `System.OutOfMemoryException, 5bd5, ${exSetupVersion}.\nErrorReportingEnabled: False`
  );
}
