/**
 * What .NET says when a fetch of the mitigation endpoint fails, in the words the classifier of
 * diagnosis.ts did not know yet: the endpoint check (test-endpoint.ps1, HttpClient) prints them, and
 * a 1008 written by a service on .NET carries the same exception chain. Regex sources (matched
 * case-insensitively), added to the classifier's lists for their code.
 *
 * Confidence: [CONFIRMED] = printed by .NET 10 under PowerShell 7.6.10 in
 * test/engine/endpoint-check-pwsh.test.ts, through real proxies (tinyproxy) to a real TLS endpoint
 * on 127.0.0.1, and asserted there (407, refused proxy, PartialChain, UntrustedRoot). .NET Framework
 * 4.8 (Windows PowerShell 5.1, the service itself) says the same things in the older wordings the
 * classifier already knew ("The remote server returned an error: (407) Proxy Authentication
 * Required.", "No connection could be made because the target machine actively refused it", "No
 * such host is known", "Could not establish trust relationship for the SSL/TLS secure channel"):
 * those come from its resource strings [INFERRED: no .NET Framework can run here].
 */

/** More ways of saying "the proxy stopped the fetch" (proxy). */
export const ENDPOINT_PROXY_TEXTS: readonly string[] = [
  // [CONFIRMED] .NET 8+ when the proxy refuses CONNECT: "The proxy tunnel request to proxy
  // 'http://127.0.0.1:3128/' failed with status code '407'." (the 407 is in quotes, not parentheses).
  "proxy tunnel request to proxy .{0,300}?failed with status code '407'",
  // [INFERRED] The same status as HttpStatusCode's name, e.g. from HttpRequestException.StatusCode.
  'ProxyAuthenticationRequired',
];

/** More ways of saying "the endpoint's TLS certificate was not trusted" (tls-chain). */
export const ENDPOINT_TLS_TEXTS: readonly string[] = [
  // [CONFIRMED] .NET 8+: "The SSL connection could not be established, see inner exception." then
  // AuthenticationException "The remote certificate is invalid because of errors in the certificate
  // chain: PartialChain" (an intermediate missing) or "...: UntrustedRoot" (a self-signed or
  // TLS-inspecting certificate).
  'The SSL connection could not be established',
  'errors in the certificate chain',
  // [INFERRED] The other X509ChainStatusFlags such a chain can report (English in every language).
  'NotTimeValid', 'NotSignatureValid', 'RemoteCertificateNotAvailable',
];

/** More ways of saying "nothing answered at that address" (network, or proxy when one was used). */
export const ENDPOINT_NETWORK_TEXTS: readonly string[] = [
  // [CONFIRMED] .NET on Linux: "Connection refused (127.0.0.1:3128)", "Name or service not known
  // (host:443)". Windows .NET 8+ words these as Windows does ("No connection could be made...",
  // "No such host is known.").
  'Connection refused', 'Name or service not known', 'Temporary failure in name resolution', 'No route to host',
  // [INFERRED] HttpClient's own time-out: "The request was canceled due to the configured
  // HttpClient.Timeout of 30 seconds elapsing." (.NET 5+), "A task was canceled." (.NET Framework).
  'HttpClient\\.Timeout', 'TaskCanceledException',
];
