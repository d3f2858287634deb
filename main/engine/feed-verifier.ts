/**
 * Verifies definitions files off the main thread, with a time limit (issue 14.6). A file over the
 * size or element limit is refused here, on the main thread, before a worker or any crypto is
 * started (counting start tags is linear and cheap); anything else is verified in a worker thread
 * that is terminated when it runs past the limit, so a request that verifies a file never keeps
 * the other API requests waiting. At most `concurrency` workers run at once (xml-crypto is CPU-bound).
 */
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import { verifyFeed, type FeedVerification, type VerifyFeedOptions } from '../core/feed/verify-feed.js';
import { DEFAULT_MAX_BYTES } from '../core/feed/safe-xml.js';
import { DEFAULT_MAX_ELEMENTS, countStartTags } from '../core/feed/xml-bounds.js';

/** Default time limit: the limits keep a genuine file far below it (the real one: milliseconds). */
export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;

export interface FeedVerifierOptions {
  /** A verification running longer is stopped and reported as verification-timeout. */
  timeoutMs?: number;
  /** Verifications at once (default 1: the machine has other work). */
  concurrency?: number;
}

/** Verifies definitions files in worker threads. */
export interface FeedVerifier {
  /** verifyFeed, off the main thread; never rejects (a worker that fails is an invalid result with its reason). */
  verify(xml: string | Uint8Array, options: VerifyFeedOptions & { at: Date }): Promise<FeedVerification>;
  /** Workers started so far (a file refused before any crypto starts none). */
  readonly workersStarted: number;
}

/** Create a verifier; each verification runs in its own worker, so a stopped one leaves nothing behind. */
export function createFeedVerifier(options: FeedVerifierOptions = {}): FeedVerifier {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const limit = pLimit(Math.max(1, options.concurrency ?? 1));
  let workersStarted = 0;
  return {
    verify(xml, verifyOptions) {
      const refused = refuseBeforeCrypto(xml, verifyOptions);
      if (refused) return Promise.resolve(refused);
      return limit(() => {
        workersStarted += 1;
        return runWorker(xml, verifyOptions, timeoutMs);
      });
    },
    get workersStarted() {
      return workersStarted;
    },
  };
}

/** The size and element-count checks of safe-xml.ts, run here so an over-limit file costs no worker. */
function refuseBeforeCrypto(xml: string | Uint8Array, options: VerifyFeedOptions & { at: Date }): FeedVerification | null {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.byteLength;
  // Over the size limit, or too many elements: verifyFeed gives the same answer, at no cost.
  if (size > maxBytes) return inline(xml, options);
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const text = typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('latin1');
  if (countStartTags(text, maxElements) > maxElements) return inline(xml, options);
  return null;
}

/** verifyFeed on this thread: only for inputs its first, linear checks refuse before any parse or crypto. */
function inline(xml: string | Uint8Array, options: VerifyFeedOptions & { at: Date }): FeedVerification {
  return verifyFeed(xml, options);
}

function runWorker(xml: string | Uint8Array, options: VerifyFeedOptions & { at: Date }, timeoutMs: number): Promise<FeedVerification> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./feed-verifier-worker.js', import.meta.url), { workerData: { xml, options } });
    let settled = false;
    const finish = (result: FeedVerification) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish(failed(options.at, 'verification-timeout', `Checking the file took longer than ${formatSeconds(timeoutMs)} and was stopped; a genuine definitions file is checked in well under a second. Check that the file is the one the endpoint served, or run eems-watch verify-feed on it to see where it fails.`));
    }, timeoutMs);
    worker.once('message', (result: FeedVerification) => finish(result));
    worker.once('error', (error: Error) => finish(failed(options.at, 'malformed-xml', `The file could not be checked: ${error.message.split('\n')[0]}. Run eems-watch verify-feed on it to see where it fails.`)));
    worker.once('exit', (code) => finish(failed(options.at, 'malformed-xml', `The check stopped before it had a result (exit code ${code}). Run eems-watch verify-feed on the file to see where it fails.`)));
  });
}

function failed(at: Date, code: FeedVerification['reasons'][number]['code'], message: string): FeedVerification {
  return { verdict: 'invalid', reasons: [{ code, message }], signatureValid: false, chain: [], checkedAt: at.toISOString(), configs: [] };
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toLocaleString('en-US')} s` : `${ms} ms`;
}
