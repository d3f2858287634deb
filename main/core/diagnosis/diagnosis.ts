/**
 * Diagnosis of EEMS failures: turns a 1008 event message, a Mitigation Service log line or a 4999
 * Watson report into one code of contracts.md (diagnose) with the fix an admin can act on.
 *
 * Texts arrive as admins paste them (with or without "Diagnostic information:", log quoting with
 * doubled quotes, HTML-escaped "--->", CRLF, doubled spaces) and often from servers in another
 * language: .NET localises exception messages and the "at" of stack frames, but never exception type
 * names, enum names (WebExceptionStatus, X509ChainStatusFlags, SslPolicyErrors) or Watson parameters.
 * So the rules key first on what stays English, then on the English messages, then on the localised
 * messages we know (a best effort, INFERRED from the .NET Framework resource strings: extend the lists
 * when a real server shows another wording). Stack frames are removed before matching so that a
 * method name in a frame (WebProxy, SslState...) cannot decide the code.
 */
import type { Diagnosis, DiagnosisCode, EemsEvent, LogEntry } from '../model.js';
import { diagnosisFor } from './diagnosis-catalogue.js';
import { type DiagnosisContext, june2026Status } from './build-context.js';
import { ENDPOINT_NETWORK_TEXTS, ENDPOINT_PROXY_TEXTS, ENDPOINT_TLS_TEXTS } from './endpoint-texts.js';

export { diagnosisFor, LINKS } from './diagnosis-catalogue.js';
export type { DiagnosisContext } from './build-context.js';

/** A text prepared once for every rule. */
interface Prepared {
  /** Decoded, unquoted, whitespace collapsed: the whole text. */
  flat: string;
  /** `flat` without stack frames: what the message rules look at. */
  body: string;
}

const MITIGATION_PROCESS = /\bMSExchangeMitigation\b|\b(?:Microsoft|M)\.(?:Exchange|E)\.Mitigation\b|Exchange Emergency Mitigation Service/i;
const WATSON = /Watson report|ErrorReportingEnabled|\bE12IIS\b|c-RTL-AMD64/i;
const UNHANDLED = /unhandled exception|terminated unexpectedly|process was terminated/i;
/** A .NET stack frame's method: dotted name directly followed by its parameter list. */
// Quantifiers are bounded so that a hostile or huge text stays linear (no super-linear backtracking).
const FRAME = /[\w`$<>|]{1,128}(?:\.[\w`$<>|]{1,128}){1,24}\([^()]{0,512}\)/g;
const EXCEPTION_TYPE = /\b((?:[A-Za-z_]\w{0,127}\.){1,24}\w{0,96}Exception)(?=\s*(?::|\(0x|\(\d|--->))/g;

function decodeEntities(text: string): string {
  return text
    .replace(/_x000D_/gi, '\r')
    .replace(/_x000A_/gi, '\n')
    .replace(/&#x([0-9a-f]{1,6});/gi, (_m, hex: string) => safeCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d{1,7});/g, (_m, dec: string) => safeCodePoint(parseInt(dec, 10)))
    .replace(/&gt;/gi, '>')
    .replace(/&lt;/gi, '<')
    .replace(/&quot;/gi, '"')
    .replace(/&apos;/gi, "'")
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&');
}

function safeCodePoint(value: number): string {
  return Number.isFinite(value) && value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : ' ';
}

/** Only the head of a huge paste is classified (the whole text is still kept in details). */
const MAX_SCAN = 256 * 1024;

function prepare(text: string): Prepared {
  // The log doubles a quote inside a quoted custom-data pair: "Response xml''s signing cert".
  const flat = decodeEntities(text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text).replace(/''/g, "'").replace(/\s+/g, ' ').trim();
  return { flat, body: flat.replace(FRAME, ' ') };
}

/** One case-insensitive pattern matching any of these regex sources. */
function anyOf(...sources: string[]): RegExp {
  return new RegExp(sources.join('|'), 'i');
}

/** Patterns per code, checked in the order of RULES: English, then codes that stay English, then localised wordings. */
const P = {
  untrustedEndpoint: /untrusted endpoint/i,
  // K2: "Response xml's leaf certificate is from unknown issuer or has EKU mismatch" (July 2026 on).
  buildTooOld: /leaf cert(?:ificate)?\b[^.]{0,60}?\b(?:unknown issuer|EKU mismatch)|unknown issuer or has EKU mismatch/i,
  revocation: anyOf(
    'revocation function was unable', 'unable to check revocation', 'revocation server was offline',
    'RevocationStatusUnknown', 'OfflineRevocation', 'CRYPT_E_REVOCATION_OFFLINE', 'CRYPT_E_NO_REVOCATION_CHECK',
    'CERT_E_REVOCATION_FAILURE', '0x8009201[23]', 'SECURE_CERT_REV_FAILED',
    'Sperrfunktion', 'Sperrserver', 'fonction de révocation', 'serveur de révocation', 'función de revocación',
    'servidor de revocación', 'funzione di revoca', 'função de revogação', '失効', '吊销', 'отзыв[а-я]* сертификат',
  ),
  signingCert: /not deemed safe to consume|signing cert(?:ificate)?\b[^.]{0,40}\b(?:invalid|not from microsoft|expired|not trusted|untrusted)|xml signature[^.]{0,20}(?:invalid|not valid|failed)/i,
  proxyStrong: anyOf(
    '\\(407\\)', 'Proxy Authentication Required', 'proxy name could not be resolved', 'ProxyNameResolutionFailure',
    'InternetWebProxy.{0,160}?(?:differ|mismatch)',
    'Proxyname konnte nicht', 'Proxyauthentifizierung', 'nom du proxy', 'nombre del proxy', 'nome del proxy',
    'nome do proxy', 'プロキシ名', 'プロキシ認証', '代理名称', 'имя прокси',
    ...ENDPOINT_PROXY_TEXTS,
  ),
  tlsChain: anyOf(
    'Could not establish trust relationship', 'remote certificate is invalid', 'TLS certificate or its chain validation failed',
    'certificate chain (?:was issued by an authority that is not trusted|could not be built)', 'incomplete certificate chain',
    'RemoteCertificateChainErrors', 'RemoteCertificateNameMismatch', 'PartialChain', 'UntrustedRoot', 'TrustFailure',
    'SEC_E_UNTRUSTED_ROOT', 'CERT_E_UNTRUSTEDROOT', 'CERT_E_CHAINING', '0x80090325', '0x800B0109', '0x800B010A',
    'AuthenticationException',
    'Vertrauensstellung', 'relation de confiance', 'relación de confianza', 'relazione di trust', 'relação de confiança',
    'vertrouwensrelatie', '信頼関係', '信任关系', 'доверительные отношения',
    ...ENDPOINT_TLS_TEXTS,
  ),
  network: anyOf(
    'remote name could not be resolved', 'NameResolutionFailure', 'No such host is known', 'timed? ?-?out',
    'actively refused', 'A connection attempt failed', 'unreachable (?:network|host)', '(?:network|host) is unreachable',
    'Unable to connect to the remote server', 'ConnectFailure', 'forcibly closed by the remote host',
    'unexpected error occurred on a (?:send|receive)', 'Unable to connect to the Mitigation Service endpoint',
    'Connection with Mitigation Endpoint was not successful', 'SocketException',
    'WSAETIMEDOUT|WSAECONNREFUSED|WSAHOST_NOT_FOUND|WSAENETUNREACH|WSAEHOSTUNREACH', 'NAME_NOT_RESOLVED|CANNOT_CONNECT|ERROR_WINHTTP_TIMEOUT',
    'Remotename konnte nicht aufgelöst', 'Zeitüberschreitung|Zeitlimit', 'Verbindung verweigerte', 'Host ist unbekannt|Host unbekannt',
    'nom distant n.a pas pu être résolu', 'délai d.attente', 'expressément refusée', 'Hôte inconnu',
    'No se puede resolver el nombre remoto', 'tiempo de espera', 'denegó expresamente', 'No se conoce ese host',
    'Impossibile risolvere il nome remoto', 'Host sconosciuto', 'Não foi possível resolver o nome remoto', 'tempo limite',
    'Host desconhecido', 'externe naam kan niet worden omgezet', 'actief geweigerd',
    'リモート名を解決できません', 'タイムアウト', '拒否されたため', 'そのようなホストは不明',
    '未能解析此远程名称', '超时', '积极拒绝', '不知道这样的主机',
    'Не удается разрешить удаленное имя', 'Время ожидания', 'Этот хост неизвестен',
    ...ENDPOINT_NETWORK_TEXTS,
  ),
  failure: /fail|error|exception|unable|could not|cannot|can't|not successful|invalid|untrusted|denied|refused|timed? ?out|not deemed safe|Fehler|erreur|échec|fallo|errore|erro|fout|エラー|失敗|错误|失败|ошибк/i,
  fetch: /fetching mitigations|FetchMitigation|Mitigation (?:Service )?endpoint/i,
  httpStatus: /\((?!407)[1-5]\d\d\)/,
  webException: /System\.Net\.WebException|HttpRequestException/,
};

/** What a Watson report (event 4999) names: the process and the exception, from its parameter list. */
function readWatson(flat: string): { process: string | null; exception: string | null } {
  const list = /with parameters:\s*([^]*?)(?:\.\s*ErrorReportingEnabled|$)/i.exec(flat)?.[1];
  if (!list) return { process: null, exception: null };
  const params = list.split(',').map((p) => p.trim());
  // E12IIS, c-RTL-AMD64, <version>, <process>, <module>, <method>, <exception>, <hash>, <version>
  const process = params[3] && params[3] !== '...' ? params[3] : null;
  const exception = params.find((p) => /^[\w.]*Exception$/.test(p)) ?? null;
  return { process, exception };
}

/**
 * The process or service a crash text names when it is not a Watson report: .NET Runtime 1026
 * ("Application: x.exe"), Application Error 1000 ("Faulting application name: x.exe"), Service
 * Control Manager 7031/7034 ("The X service terminated unexpectedly").
 */
function readCrashedProcess(flat: string): string | null {
  const match = /(?:Faulting application name|Application):\s*([^\s,]+)/i.exec(flat) ?? /\bThe (.{3,80}?) service terminated unexpectedly/i.exec(flat);
  return match?.[1] ?? null;
}

/** Every exception type declared in the chain (not in stack frames), outermost first. */
function exceptionTypes(body: string): string[] {
  return [...body.matchAll(EXCEPTION_TYPE)].map((m) => m[1] as string);
}

/**
 * The innermost exception of the first chain: .NET prints "Outer: msg ---> Inner: msg" and then
 * the frames, so it is the last type declared before the first stack frame.
 */
function innermostException(flat: string): string | null {
  FRAME.lastIndex = 0;
  const firstFrame = flat.search(FRAME);
  const head = firstFrame >= 0 ? flat.slice(0, firstFrame) : flat;
  const types = exceptionTypes(head);
  const all = types.length > 0 ? types : exceptionTypes(flat.replace(FRAME, ' '));
  return all.at(-1) ?? null;
}

function readProxy(flat: string): string | null {
  const patterns = [
    /Using Proxy\s+(\S+?)\s+To Fetch/i,
    /Using Proxy\s+([^\s;']+)/i,
    /proxy name could not be resolved:?\s*'([^']+)'/i,
    /(?:Proxyname|nom du proxy|nombre del proxy|nome del proxy|nome do proxy|プロキシ名).{0,60}?'([^'\s]+)'/i,
    /\bproxy\b[^.;]{0,40}?\b(https?:\/\/[^\s'",;]+)/i,
  ];
  for (const pattern of patterns) {
    const found = pattern.exec(flat)?.[1];
    if (found) return found;
  }
  return null;
}

function readHost(flat: string): string | null {
  return /(?:remote name could not be resolved|Remotename konnte nicht aufgelöst werden|nom distant n.a pas pu être résolu|nombre remoto).{0,40}?'([^'\s]+)'/i.exec(flat)?.[1] ?? null;
}

/** The ServerName column of a raw log line ("2026-06-10T09:00:12.447Z,EX01,FetchMitigation,..."). */
function readLogServer(flat: string): string | null {
  return /^\d{4}-\d\d-\d\dT[^,]*,([^,\s]+),/.exec(flat)?.[1] ?? null;
}

/** A crash of the mitigation service, a crash of another process (unknown), or neither (null). */
function classifyCrash(p: Prepared): { code: DiagnosisCode; details: Record<string, unknown> } | null {
  const watson = WATSON.test(p.flat);
  if (!watson && !UNHANDLED.test(p.body)) return null;
  const report = watson ? readWatson(p.flat) : { process: readCrashedProcess(p.flat), exception: null };
  const exception =
    report.exception ?? /Exception Info:\s*([\w.]{0,200}Exception)/i.exec(p.flat)?.[1] ?? innermostException(p.flat) ?? /\b(System\.[\w.]{0,200}Exception)\b/.exec(p.flat)?.[1] ?? null;
  const withException = exception ? { exception } : {};
  if (report.process) {
    return MITIGATION_PROCESS.test(report.process)
      ? { code: 'crash', details: { ...withException, process: report.process } }
      : { code: 'unknown', details: { ...withException, process: report.process } };
  }
  // No process named: the text itself must name the service, or be a bare "Unhandled exception".
  if (MITIGATION_PROCESS.test(p.flat) || /unhandled exception/i.test(p.body)) {
    return { code: 'crash', details: { ...withException, process: 'MSExchangeMitigation' } };
  }
  return watson ? { code: 'unknown', details: withException } : null;
}

/** The message rules in precedence order: the most specific cause wins over the generic ones. */
const RULES: Array<{ code: DiagnosisCode; test: (p: Prepared) => boolean }> = [
  { code: 'untrusted-endpoint', test: (p) => P.untrustedEndpoint.test(p.body) },
  // Before revocation and signing-cert: the text also says "not deemed safe to consume", and no
  // trust-list or CRL step helps a build that is too old for the current feed (K2).
  { code: 'build-too-old', test: (p) => P.buildTooOld.test(p.body) },
  // Revocation before signing-cert and tls-chain: an offline CRL is the root cause behind both.
  { code: 'revocation', test: (p) => P.revocation.test(p.body) },
  { code: 'signing-cert', test: (p) => P.signingCert.test(p.body) },
  { code: 'proxy', test: (p) => P.proxyStrong.test(p.body) },
  // A TLS failure seen through a proxy is TLS inspection: tls-chain, with the proxy in details.
  { code: 'tls-chain', test: (p) => P.tlsChain.test(p.body) },
  { code: 'proxy', test: (p) => readProxy(p.body) !== null && P.failure.test(p.body.replace(/Using Proxy\s+\S+\s+To Fetch Configurations/gi, '')) },
  { code: 'network', test: (p) => P.network.test(p.body) },
  // A localised WebException with no HTTP status and no known wording: the endpoint was not reached.
  // INFERRED: the usual causes of a bare WebException on this fetch are network ones.
  { code: 'network', test: (p) => P.webException.test(p.body) && !P.httpStatus.test(p.body) },
];

function classify(p: Prepared): { code: DiagnosisCode; details: Record<string, unknown> } {
  const crash = classifyCrash(p);
  if (crash) return crash;
  const rule = RULES.find((r) => r.test(p));
  const details: Record<string, unknown> = {};
  const exception = innermostException(p.flat);
  if (exception) details.exception = exception;
  const proxy = readProxy(p.body);
  if (proxy) details.proxy = proxy;
  const host = readHost(p.body);
  if (host) details.host = host;
  if (!rule && P.fetch.test(p.body)) details.fetchFailure = true;
  return { code: rule?.code ?? 'unknown', details };
}

/**
 * Classify one error text into a diagnosis of contracts.md.
 *
 * Never throws: whatever the input, the result is at least `unknown` with the original text in
 * `details.text`. `details` also carries what was recognised: `exception` (the innermost exception
 * type, or the crashing one), `proxy` (a proxy the text names), `host`, `server` (a log line's
 * ServerName), `process` (the process of a Watson report). With `context` (the server the text
 * came from and the build table), a build-too-old diagnosis also says whether that server is below
 * the June 2026 update: `belowJun26SU` (true, false, or null when it cannot tell), `build`,
 * `buildName`, `requiredUpdate` ({build, name}) and `buildNote`.
 */
export function diagnose(text: string, context?: DiagnosisContext): Diagnosis {
  const original = typeof text === 'string' ? text : String(text ?? '');
  try {
    const prepared = prepare(original);
    const { code, details } = classify(prepared);
    const server = readLogServer(prepared.flat);
    if (server) details.server = server;
    if (code === 'unknown') details.text = original;
    if (code === 'build-too-old' && context?.server) Object.assign(details, buildDetails(context));
    return diagnosisFor(code, details);
  } catch {
    return diagnosisFor('unknown', { text: original });
  }
}

/** The server's build against the June 2026 update, as diagnosis details. */
function buildDetails(context: DiagnosisContext): Record<string, unknown> {
  const server = context.server!;
  const status = june2026Status(server, context.knowledge);
  return {
    server: server.Name,
    belowJun26SU: status.status === 'below' ? true : status.status === 'at-or-above' ? false : null,
    build: status.build,
    buildName: status.buildName,
    buildSource: status.buildSource,
    ...(status.required ? { requiredUpdate: status.required } : {}),
    buildNote: status.note,
  };
}

/** Whether a log entry is a failure worth a diagnosis: every Error, and Warnings that report one. */
export function isFailureEntry(entry: LogEntry): boolean {
  if (entry.level === 'Error') return true;
  return entry.level === 'Warning' && P.failure.test(entry.message);
}

/**
 * Whether an event is one to diagnose: a 1008 of the mitigation service, every 4999 Watson report
 * (one of another process is diagnosed as such, so the admin sees it is not EEMS), and any other
 * error of the service or naming it (.NET Runtime 1026, Service Control Manager 7031).
 */
export function isDiagnosableEvent(event: EemsEvent): boolean {
  const ofService = /Mitigation/i.test(event.provider) || event.provider.trim() === '';
  if (event.eventId === 4999) return true;
  if (event.eventId === 1008 && ofService) return true;
  const isError = event.level === 'Error' || event.level === 'Critical';
  return isError && (ofService || MITIGATION_PROCESS.test(event.message));
}

/** The text of an event: the rendered message, or its EventData items when no message was rendered. */
export function eventText(event: EemsEvent): string {
  return event.message.trim() ? event.message : (event.data ?? []).join('\n');
}

/** Lines of one cycle kept as context for the next failure line. */
const MAX_CYCLE_CONTEXT = 12;

/**
 * Diagnose every failure of a Mitigation Service log, in order.
 *
 * The log's Error line often says only "One or more errors occurred." while the Warning before it in
 * the same hourly cycle says why ("TLS certificate or its chain validation failed", "Connection
 * attempted against untrusted endpoint") and an Information line names the proxy. So a line that is
 * unknown on its own is diagnosed again with the lines of its cycle, and a proxy named in the cycle
 * is added to the details. Such a diagnosis carries `details.fromCycle: true`. `contextFor` gives the
 * server context of a line's ServerName (see diagnose).
 */
export function diagnoseLogEntries(entries: readonly LogEntry[], contextFor?: ContextFor): Array<{ entry: LogEntry; diagnosis: Diagnosis }> {
  const results: Array<{ entry: LogEntry; diagnosis: Diagnosis }> = [];
  const cycles = new Map<string, string[]>();
  for (const entry of entries) {
    const key = entry.server ?? '';
    if (/^Fetching mitigations from/i.test(entry.message.trim())) cycles.set(key, []);
    const cycle = cycles.get(key) ?? [];
    if (!isFailureEntry(entry)) {
      if (/Using Proxy/i.test(entry.message)) cycle.push(entry.message);
      cycles.set(key, cycle.slice(-MAX_CYCLE_CONTEXT));
      continue;
    }
    const serverContext = contextFor?.(entry.server ?? null);
    let diagnosis = diagnose(entry.message, serverContext);
    const context = [...cycle, entry.message].join(' | ');
    if (diagnosis.code === 'unknown' && cycle.length > 0) {
      const again = diagnose(context, serverContext);
      if (again.code !== 'unknown') diagnosis = diagnosisFor(again.code, { ...again.details, fromCycle: true });
    }
    const proxy = readProxy(prepare(context).body);
    const details = { ...diagnosis.details };
    if (proxy && details.proxy === undefined) details.proxy = proxy;
    if (entry.server && details.server === undefined) details.server = entry.server;
    if (diagnosis.code === 'unknown') details.text = entry.message;
    results.push({ entry, diagnosis: diagnosisFor(diagnosis.code, details) });
    cycle.push(entry.message);
    // A log with no "Fetching" line (or a very long cycle) must not drag old lines along forever.
    cycles.set(key, cycle.slice(-MAX_CYCLE_CONTEXT));
  }
  return results;
}

/** The server context for a server name (a log line's ServerName, an event's machine); undefined: none. */
export type ContextFor = (server: string | null) => DiagnosisContext | undefined;

/** Diagnose every 1008, 4999 and mitigation-service error of an event export, in order. */
export function diagnoseEvents(events: readonly EemsEvent[], contextFor?: ContextFor): Array<{ event: EemsEvent; diagnosis: Diagnosis }> {
  return events.filter(isDiagnosableEvent).map((event) => {
    const server = event.machine ? (event.machine.split('.')[0] ?? '') : '';
    const diagnosis = diagnose(eventText(event), contextFor?.(server || null));
    if (!server || diagnosis.details.server !== undefined) return { event, diagnosis };
    return { event, diagnosis: diagnosisFor(diagnosis.code, { ...diagnosis.details, server }) };
  });
}
