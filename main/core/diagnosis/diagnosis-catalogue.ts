/**
 * The texts of every diagnosis: title, explanation, numbered fix steps and Microsoft's links, per
 * code of contracts.md (diagnose). Kept apart from the classifier so the wording can be reviewed
 * (and translated) without touching the matching rules.
 *
 * Sources: docs/eems-domain.md sections 1, 2 and 5 (LEARN-EM, BLOG-2025-01, GRANIKOS-1/2, KB-TLS,
 * Microsoft Q&A 629458). Host names for CRL/OCSP beyond ctldl.windowsupdate.com are INFERRED from the
 * certificates Microsoft uses today; they are given as examples, the command that lists the real
 * URLs (certutil -urlfetch) is given with them.
 */
import type { Diagnosis, DiagnosisCode } from '../model.js';

export const LINKS = {
  helpConnectivity: 'https://aka.ms/HelpConnectivityEEMS',
  learnEm: 'https://learn.microsoft.com/exchange/exchange-emergency-mitigation-service',
  blogUntrustedEndpoint:
    'https://techcommunity.microsoft.com/blog/exchange/exchange-emergency-mitigation-service-might-not-work-for-servers-significantly-o/4370312',
  buildNumbers: 'https://learn.microsoft.com/exchange/new-features/build-numbers-and-release-dates',
  kbTlsEndpoint:
    'https://support.microsoft.com/en-gb/topic/-eems-stops-responding-after-tls-endpoint-certificate-update-47810987-eb7f-4c6a-9ef8-1c26aa0772a6',
  healthCheckerEems: 'https://microsoft.github.io/CSS-Exchange/Diagnostics/HealthChecker/EEMSCheck/',
} as const;

const ENDPOINT = 'https://officeclient.microsoft.com/getexchangemitigations';
const TEST_SCRIPT = '& $exscripts\\Test-MitigationServiceConnectivity.ps1';
const RESTART_AND_CHECK =
  'Restart-Service MSExchangeMitigation, then wait about 10 minutes (the first fetch after a start) and check that no new 1008 error appears: ' +
  "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='MSExchange Mitigation Service'; Id=1008; StartTime=(Get-Date).AddMinutes(-15)}.";
const OPEN_PORT_80 =
  'Allow outbound TCP 80 from the server (directly or through its proxy) to ctldl.windowsupdate.com (the Certificate Trust List update) and to the CRL/OCSP endpoints of the certificates, ' +
  'e.g. crl.microsoft.com, www.microsoft.com/pkiops, oneocsp.microsoft.com, crl3.digicert.com, ocsp.digicert.com.';
const NO_TLS_INSPECTION =
  'Exclude officeclient.microsoft.com from SSL/TLS inspection on every proxy and firewall between the server and the internet (Microsoft requires it: the service checks the endpoint certificate itself).';

/** Proxy URL and "host:port" forms for the commands, from details.proxy when the text named one. */
function proxyForms(details: Record<string, unknown>): { url: string; hostPort: string } {
  const named = typeof details.proxy === 'string' ? details.proxy.trim() : '';
  if (!named) return { url: 'http://proxy:port', hostPort: 'proxy:port' };
  const withScheme = /^[a-z]+:\/\//i.test(named) ? named : `http://${named}`;
  const hostPort = withScheme.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  return { url: `http://${hostPort}`, hostPort };
}

function serverOf(details: Record<string, unknown>): string {
  return typeof details.server === 'string' && details.server ? details.server : '<server>';
}

type Entry = Omit<Diagnosis, 'code' | 'details'>;

function tlsChain(details: Record<string, unknown>): Entry {
  const viaProxy = typeof details.proxy === 'string' ? ` The service used the proxy ${details.proxy}: if it inspects TLS, that is the likely cause.` : '';
  return {
    title: 'The TLS connection to the mitigation endpoint is not trusted',
    explanation:
      `The Mitigation service could not validate the TLS certificate of ${ENDPOINT}, the address it fetches mitigations from every hour. ` +
      'Usually a proxy or firewall inspects TLS and shows its own certificate instead of Microsoft\'s, or the server lacks a root or intermediate CA of the endpoint\'s chain (an incomplete certificate chain).' +
      `${viaProxy} Until this is fixed the server receives no new mitigations and logs a 1008 error every hour.`,
    fix: [
      NO_TLS_INSPECTION,
      `On the server, see what it gets: Invoke-WebRequest ${ENDPOINT} -UseBasicParsing. If the certificate a browser on the server shows for that address is issued by your own proxy or firewall CA, TLS inspection is still on.`,
      'Bring the trusted roots up to date: let the server reach ctldl.windowsupdate.com over TCP 80, or on a machine with internet run certutil -generateSSTFromWU C:\\temp\\roots.sst, copy the file and run Import-Certificate -FilePath C:\\temp\\roots.sst -CertStoreLocation Cert:\\LocalMachine\\Root.',
      'Install the latest Security Update for the server\'s CU: a fix for a renewed endpoint certificate (EEMS stopped responding after a TLS certificate update) ships in an SU.',
      `Test the endpoint: ${TEST_SCRIPT} (expect "Result: Success.").`,
      RESTART_AND_CHECK,
    ],
    links: [LINKS.helpConnectivity, LINKS.learnEm, LINKS.kbTlsEndpoint],
  };
}

function signingCert(): Entry {
  return {
    title: 'The signing certificate of the mitigation XML is not accepted',
    explanation:
      'The server reached Microsoft\'s endpoint and downloaded the mitigation definitions, then refused them ("not deemed safe to consume"): the XML\'s signature or its signing certificate chain ' +
      '(Microsoft Exchange XML Signing, Microsoft Code Signing PCA 2011, Microsoft Root Certificate Authority 2011) could not be validated on the server. ' +
      'Typical causes: the server\'s list of trusted roots (CTL) is not kept up to date, a Microsoft signing certificate expired (as in June 2022), or revocation could not be checked. ' +
      'Test-MitigationServiceConnectivity.ps1 can still report Success, because it does not check the signature.',
    fix: [
      OPEN_PORT_80,
      'Check that the root is trusted: Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object Subject -like \'*Microsoft Root Certificate Authority 2011*\'. If nothing is listed, import it (certutil -generateSSTFromWU C:\\temp\\roots.sst on a machine with internet, then Import-Certificate -FilePath C:\\temp\\roots.sst -CertStoreLocation Cert:\\LocalMachine\\Root).',
      'Check that the server can update its trust list: certutil -f -verifyCTL AuthRootWU must download without error.',
      `Check the file yourself: Invoke-WebRequest ${ENDPOINT} -UseBasicParsing -OutFile mitigations.xml, then eems-watch verify-feed mitigations.xml names the certificate that fails.`,
      'Install the latest CU and Security Update (see the build numbers page): newer builds follow Microsoft\'s signing certificate changes.',
      RESTART_AND_CHECK,
    ],
    links: [LINKS.learnEm, LINKS.helpConnectivity, LINKS.buildNumbers],
  };
}

/**
 * eems-domain.md K2: the July 2026 service-side change. The wording of the service's text is
 * CONFIRMED by the June 2026 SU post as quoted (eightwone.com); that the signing chain changed is
 * CONFIRMED from the certificate dates (PCA 2011 expired 2026-07-08). With the server's build
 * (details.belowJun26SU, from build-context.ts) the entry says whether the build is the cause.
 */
function buildTooOld(details: Record<string, unknown>): Entry {
  const server = serverOf(details);
  const required = details.requiredUpdate as { build: string; name: string } | undefined;
  const target = required ? `${required.name} (${required.build})` : 'the June 2026 Security Update (Jun26SU)';
  const runs = typeof details.build === 'string' ? ` ${server} runs ${details.build}${typeof details.buildName === 'string' ? ` (${details.buildName})` : ''}.` : '';
  const verdict =
    details.belowJun26SU === true
      ? `${runs} That is below ${target}: this is the cause.`
      : details.belowJun26SU === false
        ? `${runs} That is already at or above the June 2026 update, so the build is not the cause here; EEMS Watch knows no other cause of this text.`
        : details.belowJun26SU === null && typeof details.buildNote === 'string'
          ? ` ${details.buildNote}`
          : '';
  const patched = details.belowJun26SU === false;
  return {
    title: patched
      ? 'The mitigation service refuses the signing certificate of the new mitigation files, although the build is recent enough'
      : 'This server\'s build is too old for the mitigation files Microsoft publishes since July 2026',
    explanation:
      'Since July 2026 the EM service can no longer use the configuration files Microsoft publishes unless Exchange runs the June 2026 update (Jun26SU) or newer: their signing chain changed, and an older build reports "leaf certificate is from unknown issuer or has EKU mismatch". ' +
      'Mitigations already applied keep working, but this server cannot receive any new mitigation. The trust list, CRL and port-80 steps that fix a signing-certificate error do not help here.' +
      verdict,
    fix: patched
      ? [
          `Make sure the update finished: Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo.ProductVersion } on ${server}, and restart the service after it: Restart-Service MSExchangeMitigation.`,
          `Check the file the server gets: on ${server}, Invoke-WebRequest https://officeclient.microsoft.com/getexchangemitigations -UseBasicParsing -OutFile mitigations.xml, then eems-watch verify-feed mitigations.xml names the certificate that fails; a proxy that rewrites the response would show here.`,
          RESTART_AND_CHECK,
        ]
      : [
          `Install ${target} or a later Security Update for this server's CU (see the build numbers page); on a CU that got no June 2026 update, move to a supported CU first.`,
          `Check the installed build afterwards: Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo.ProductVersion } on ${server}.`,
          RESTART_AND_CHECK,
        ],
    links: [LINKS.learnEm, LINKS.buildNumbers],
  };
}

function revocation(): Entry {
  return {
    title: 'The certificate revocation check could not be made',
    explanation:
      'Before it trusts the endpoint\'s TLS certificate and the certificate that signs the mitigation XML, Windows asks Microsoft\'s CRL and OCSP servers whether they were revoked, over plain HTTP (TCP 80). ' +
      'That check failed ("the revocation server was offline"), usually because a firewall allows the server only TCP 443. The connectivity test script can still succeed, yet every hourly fetch fails with a 1008 error.',
    fix: [
      OPEN_PORT_80,
      'If the server reaches the internet through a proxy, give the proxy to WinHTTP too (the system fetches CRLs with it): netsh winhttp set proxy proxy:port.',
      'Test from the server: Invoke-WebRequest http://crl.microsoft.com/pki/crl/products/MicRooCerAut2011_2011_03_22.crl -UseBasicParsing must return 200. certutil -urlfetch -verify <certificate file> lists every CRL/OCSP URL a certificate needs and whether it was reached.',
      RESTART_AND_CHECK,
    ],
    links: [LINKS.learnEm, LINKS.helpConnectivity],
  };
}

function untrustedEndpoint(details: Record<string, unknown>): Entry {
  const server = serverOf(details);
  return {
    title: 'This Exchange build is too old for the mitigation endpoint',
    explanation:
      'Since January 2025 Microsoft\'s Office Configuration Service no longer accepts connections from builds older than the March 2023 updates ("Connection attempted against untrusted endpoint"): ' +
      'it retired an older certificate type. No network change fixes this. The server gets no emergency mitigations until it is updated, and it also lacks the security updates since then.',
    fix: [
      `Read the installed build: Get-Command ExSetup.exe | ForEach-Object { $_.FileVersionInfo.ProductVersion } on the server, or Get-ExchangeServer ${server} | Format-List Name,AdminDisplayVersion.`,
      'Compare it with the build numbers page, then install the latest Cumulative Update and the latest Security Update for it (March 2023 is the minimum for EEMS, not a target).',
      'After the update: Restart-Service MSExchangeMitigation, and & $exscripts\\Get-Mitigations.ps1 no longer warns "Connection with Mitigation Endpoint was not successful".',
    ],
    links: [LINKS.blogUntrustedEndpoint, LINKS.buildNumbers, LINKS.learnEm, LINKS.helpConnectivity],
  };
}

function proxy(details: Record<string, unknown>): Entry {
  const { url, hostPort } = proxyForms(details);
  const server = serverOf(details);
  const named = typeof details.proxy === 'string' ? ` (${details.proxy})` : '';
  return {
    title: 'The proxy blocks the mitigation fetch',
    explanation:
      `The Mitigation service goes through a proxy${named} and did not get through: the proxy asks for authentication (407), which the service, running as Local System, cannot give; ` +
      'or the proxy\'s name does not resolve or it does not answer; or the Exchange proxy setting (InternetWebProxy) and the WinHTTP proxy differ. EEMS needs both set to the same reachable proxy.',
    fix: [
      `Compare both settings: Get-ExchangeServer ${server} | Format-List Name,InternetWebProxy and netsh winhttp show proxy.`,
      `Set the Exchange proxy: Set-ExchangeServer -Identity ${server} -InternetWebProxy ${url}`,
      `Set the same proxy for WinHTTP: netsh winhttp set proxy ${hostPort}`,
      'On the proxy, let the server through without authentication to officeclient.microsoft.com (TCP 443) and to ctldl.windowsupdate.com and the CRL/OCSP endpoints (TCP 80), and exclude officeclient.microsoft.com from TLS inspection.',
      `Check that the proxy resolves and answers: Test-NetConnection ${hostPort.replace(/:([^:]+)$/, ' -Port $1')}`,
      RESTART_AND_CHECK,
    ],
    links: [LINKS.learnEm, LINKS.helpConnectivity],
  };
}

function network(details: Record<string, unknown>): Entry {
  const server = serverOf(details);
  return {
    title: 'The server cannot reach the mitigation endpoint',
    explanation:
      `The Mitigation service could not connect to ${ENDPOINT} at all: the name did not resolve, the connection timed out or was refused, or there is no route to the internet. ` +
      'The server receives no mitigations while this lasts and logs a 1008 error every hour.',
    fix: [
      'From the server: Resolve-DnsName officeclient.microsoft.com and Test-NetConnection officeclient.microsoft.com -Port 443.',
      'Allow outbound TCP 443 to officeclient.microsoft.com, and TCP 80 to ctldl.windowsupdate.com and the CRL/OCSP endpoints.',
      `If the server must go through a proxy: Set-ExchangeServer -Identity ${server} -InternetWebProxy http://proxy:port and netsh winhttp set proxy proxy:port.`,
      `Test the endpoint: ${TEST_SCRIPT} (expect "Result: Success.").`,
      RESTART_AND_CHECK,
      'Server kept off the internet on purpose? EEMS cannot work there: stop it with Stop-Service MSExchangeMitigation and Set-Service MSExchangeMitigation -StartupType Disabled. ' +
        'Set-OrganizationConfig / Set-ExchangeServer -MitigationsEnabled $false does NOT stop the hourly fetch or its 1008 errors; it only stops applying mitigations. ' +
        'Apply mitigations yourself there (Security Updates, or Microsoft\'s one-off mitigation tools), and in EEMS Watch acknowledge or snooze this alert, or remove the server from the watched servers.',
    ],
    links: [LINKS.helpConnectivity, LINKS.learnEm],
  };
}

function crash(details: Record<string, unknown>): Entry {
  const exception = typeof details.exception === 'string' ? details.exception : null;
  const outOfMemory = exception !== null && /OutOfMemory/i.test(exception);
  return {
    title: exception ? `The Emergency Mitigation service crashed (${exception})` : 'The Emergency Mitigation service crashed',
    explanation:
      `The MSExchangeMitigation service (Microsoft.Exchange.Mitigation.Service) stopped on an unhandled exception${exception ? `, ${exception}` : ''}, and Exchange wrote a Watson crash report (event 4999). ` +
      'While the service is down, no mitigations are fetched or applied.' +
      (outOfMemory ? ' OutOfMemoryException means the process could not get more memory: the server is short of memory, or the process grew too large.' : ''),
    fix: [
      'Check the service and start it again: Get-Service MSExchangeMitigation; Start-Service MSExchangeMitigation (or Restart-Service MSExchangeMitigation).',
      "See how often it crashes: Get-WinEvent -FilterHashtable @{LogName='Application'; Id=4999; StartTime=(Get-Date).AddDays(-7)} | Where-Object Message -match 'Mitigation' | Format-List TimeCreated,Message.",
      ...(outOfMemory
        ? [
            "Check memory: Get-Counter '\\Memory\\Available MBytes', and the service process: Get-Process -Id (Get-CimInstance Win32_Service -Filter \"Name='MSExchangeMitigation'\").ProcessId | Format-List WorkingSet64,PrivateMemorySize64.",
          ]
        : []),
      'Install the latest CU and Security Update (crash fixes ship in updates).',
      'If it keeps crashing, collect the logs with CSS-Exchange ExchangeLogCollector.ps1 -MitigationService and open a case with Microsoft.',
    ],
    links: [LINKS.learnEm, LINKS.buildNumbers],
  };
}

function unknown(details: Record<string, unknown>): Entry {
  const otherProcess = typeof details.process === 'string' ? details.process : null;
  const explanation = otherProcess
    ? `This is a crash report (Watson, event 4999) of another Exchange process, ${otherProcess}, not of the Emergency Mitigation service. EEMS is not affected by it; look into that component. The full text is kept in the details.`
    : details.fetchFailure === true
      ? 'The Mitigation service could not fetch mitigations, but this text does not say why. The Mitigation Service log of the same hour usually does. The full text is kept in the details.'
      : 'EEMS Watch does not recognise this message. The full text is kept in the details, so you can read it or search for it.';
  return {
    title: otherProcess ? `Crash report of another process (${otherProcess})` : 'Unrecognised EEMS message',
    explanation,
    fix: [
      'Read the full text in the details; search Microsoft Learn and the Exchange Team blog for its exact sentence.',
      'Look at the Mitigation Service log of the same hour: Get-ChildItem "$exinstall\\Logging\\MitigationService" | Sort-Object LastWriteTime | Select-Object -Last 1 | Get-Content -Tail 60, and run eems-watch diagnose --file on that log.',
      `Test the endpoint: ${TEST_SCRIPT}, and list what is applied: & $exscripts\\Get-Mitigations.ps1.`,
    ],
    links: [LINKS.learnEm, LINKS.helpConnectivity],
  };
}

const BUILDERS: Record<DiagnosisCode, (details: Record<string, unknown>) => Entry> = {
  'tls-chain': tlsChain,
  'signing-cert': signingCert,
  revocation,
  'untrusted-endpoint': untrustedEndpoint,
  proxy,
  network,
  'build-too-old': buildTooOld,
  crash,
  unknown,
};

/**
 * The catalogue entry for a code.
 *
 * `details` is copied into the result and shapes the wording where it helps: `proxy` (the proxy's
 * URL, put into the Set-ExchangeServer and netsh commands), `server` (put into the commands),
 * `exception` (crash), `process` (unknown: a crash report of another process). An unknown code
 * (from an untyped caller) falls back to the `unknown` entry rather than throwing.
 */
export function diagnosisFor(code: DiagnosisCode, details: Record<string, unknown> = {}): Diagnosis {
  const known = Object.prototype.hasOwnProperty.call(BUILDERS, code) ? code : 'unknown';
  const entry = BUILDERS[known]({ ...details });
  // A caller that saw the failure itself (the feed fetch) says what it saw in details.reason.
  const seen = typeof details.reason === 'string' && details.reason.trim() ? ` What EEMS Watch saw: ${details.reason.trim().replace(/\.$/, '')}.` : '';
  return { code: known, ...entry, explanation: entry.explanation + seen, details: { ...details } };
}
