/**
 * The worker thread of feed-verifier.ts: verifies one definitions file and posts the result.
 * Runs off the main thread so that xml-crypto's work on a large file never blocks the API.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyFeed, type VerifyFeedOptions } from '../core/feed/verify-feed.js';

const { xml, options } = workerData as { xml: string | Uint8Array; options: VerifyFeedOptions };
parentPort?.postMessage(verifyFeed(xml, options));
