/**
 * Fetching the mitigation definitions from the EEMS endpoint, for diagnosis only: nothing fetched
 * here is ever applied. Goes through the configured proxy or the system's (HTTPS_PROXY), with a
 * time-out, and tells apart the failures an admin fixes differently: TLS chain (inspection,
 * missing CA), proxy (407, proxy down or unresolvable), network, and a signature EEMS would refuse.
 */
import { Agent, EnvHttpProxyAgent, ProxyAgent, fetch, type Dispatcher } from 'undici';
import type { Diagnosis } from '../core/model.js';
import { diagnosisFor } from '../core/diagnosis/diagnosis.js';
import { verifyFeed, type FeedVerification, type VerifyFeedOptions } from '../core/feed/verify-feed.js';
import { DEFAULT_MAX_BYTES } from '../core/feed/safe-xml.js';

/** The endpoint EEMS fetches from (eems-domain.md section 5, CONFIRMED). */
export const FEED_URL = 'https://officeclient.microsoft.com/getexchangemitigations';
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

export interface FetchFeedOptions {
  url?: string;
  /** A proxy URL; null or absent: the system's (HTTPS_PROXY / https_proxy, NO_PROXY). */
  proxy?: string | null;
  timeoutMs?: number;
  /** PEM CAs trusted for TLS instead of the system's (tests, private labs). */
  ca?: string[];
  /** Where the system proxy is read from (default process.env). */
  env?: Record<string, string | undefined>;
}

export type FetchFeedResult = { ok: true; xml: string } | { ok: false; diagnosis: Diagnosis };

/** TLS certificate errors (Node's OpenSSL codes): the endpoint's certificate chain is not trusted. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'INVALID_CA', 'CERT_CHAIN_TOO_LONG',
]);
const NETWORK_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET',
]);

function envProxy(env: Record<string, string | undefined>): { httpsProxy?: string; noProxy?: string } {
  const httpsProxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || undefined;
  const noProxy = env.NO_PROXY || env.no_proxy || undefined;
  return { httpsProxy, noProxy };
}

/** The dispatcher for these options, and the proxy it uses (null: direct). */
function makeDispatcher(options: FetchFeedOptions): { dispatcher: Dispatcher; proxy: string | null } {
  const tls = options.ca ? { ca: options.ca } : {};
  if (options.proxy) return { dispatcher: new ProxyAgent({ uri: options.proxy, requestTls: tls }), proxy: options.proxy };
  const fromEnv = envProxy(options.env ?? process.env);
  if (fromEnv.httpsProxy) {
    const dispatcher = new EnvHttpProxyAgent({ httpProxy: fromEnv.httpsProxy, httpsProxy: fromEnv.httpsProxy, noProxy: fromEnv.noProxy, connect: tls, requestTls: tls } as EnvHttpProxyAgent.Options);
    return { dispatcher, proxy: fromEnv.httpsProxy };
  }
  return { dispatcher: new Agent({ connect: tls }), proxy: null };
}

/** Every code and message along an error's cause chain. */
function causes(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth += 1) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string') codes.push(e.code);
    if (typeof e.message === 'string') messages.push(e.message);
    current = e.cause;
  }
  return { codes, messages };
}

/** Turn a fetch failure into a diagnosis code of contracts.md. */
export function classifyFetchError(error: unknown, context: { url: string; proxy: string | null; timedOut: boolean }): Diagnosis {
  const { codes, messages } = causes(error);
  const details = { url: context.url, proxy: context.proxy, errorCode: codes[codes.length - 1] ?? null, message: messages[messages.length - 1] ?? String(error) };
  const text = messages.join(' | ');
  if (context.timedOut) return diagnosisFor('network', { ...details, reason: 'time-out' });
  const tlsCode = codes.find((c) => TLS_CODES.has(c) || c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_'));
  if (tlsCode) return diagnosisFor('tls-chain', { ...details, errorCode: tlsCode });
  if (/\b407\b|Proxy Authentication Required/i.test(text)) return diagnosisFor('proxy', { ...details, reason: 'proxy authentication required (407)' });
  const tunnel = /Proxy response \((\d+)\)/.exec(text);
  if (tunnel) {
    // The proxy answered but could not reach the endpoint (502/503/...): the endpoint is out of reach.
    return diagnosisFor('network', { ...details, reason: `the proxy answered ${tunnel[1]} to CONNECT` });
  }
  const netCode = codes.find((c) => NETWORK_CODES.has(c));
  if (netCode && context.proxy) {
    // Every connection goes to the proxy first: refused or unresolvable here means the proxy.
    return diagnosisFor('proxy', { ...details, errorCode: netCode, reason: `the proxy ${context.proxy} could not be reached (${netCode})` });
  }
  if (netCode) return diagnosisFor('network', { ...details, errorCode: netCode });
  return diagnosisFor('unknown', { ...details, text });
}

/**
 * Fetch the definitions XML. Never throws: every failure is a diagnosis.
 * The body is capped at the verify-feed size limit.
 */
export async function fetchFeed(options: FetchFeedOptions = {}): Promise<FetchFeedResult> {
  const url = options.url ?? FEED_URL;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  let made: { dispatcher: Dispatcher; proxy: string | null };
  try {
    made = makeDispatcher(options);
  } catch (error) {
    return { ok: false, diagnosis: diagnosisFor('proxy', { url, proxy: options.proxy ?? null, reason: `the proxy setting is not usable: ${(error as Error).message}` }) };
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, { dispatcher: made.dispatcher, signal: controller.signal, headers: { accept: 'application/xml' } });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, diagnosis: diagnosisFor('unknown', { url, proxy: made.proxy, status: response.status, text: `The endpoint answered HTTP ${response.status} instead of the definitions.` }) };
    }
    const body = await readCapped(response, DEFAULT_MAX_BYTES);
    if (body === null) {
      return { ok: false, diagnosis: diagnosisFor('unknown', { url, proxy: made.proxy, text: `The endpoint sent more than ${DEFAULT_MAX_BYTES} bytes; that is not the definitions.` }) };
    }
    return { ok: true, xml: body };
  } catch (error) {
    return { ok: false, diagnosis: classifyFetchError(error, { url, proxy: made.proxy, timedOut }) };
  } finally {
    clearTimeout(timer);
    await made.dispatcher.destroy().catch(() => undefined);
  }
}

async function readCapped(response: Response | Awaited<ReturnType<typeof fetch>>, max: number): Promise<string | null> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type CheckFeedResult =
  | { ok: true; xml: string; verification: FeedVerification }
  | { ok: false; diagnosis: Diagnosis; xml?: string; verification?: FeedVerification };

/**
 * Fetch and verify: a definitions file that arrives but would be refused (signature, chain,
 * expiry, EKU) is the signing-cert failure EEMS logs as "not deemed safe to consume".
 */
export async function fetchAndVerifyFeed(options: FetchFeedOptions & Pick<VerifyFeedOptions, 'at' | 'extraTrustedRoots' | 'trust'> = {}): Promise<CheckFeedResult> {
  const fetched = await fetchFeed(options);
  if (!fetched.ok) return fetched;
  const verification = verifyFeed(fetched.xml, { at: options.at, extraTrustedRoots: options.extraTrustedRoots, trust: options.trust });
  if (verification.verdict === 'valid') return { ok: true, xml: fetched.xml, verification };
  const diagnosis = diagnosisFor('signing-cert', { url: options.url ?? FEED_URL, reasons: verification.reasons });
  return { ok: false, diagnosis, xml: fetched.xml, verification };
}
