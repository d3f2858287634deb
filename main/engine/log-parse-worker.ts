/**
 * Worker thread of log-file-reader: parses one part of a Mitigation Service log file and sends back
 * its counts and selected entries (line numbers counted from the part's start).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCycleCounter } from '../core/log-cycles.js';
import { type RangeTask, parseLogRange } from './log-file-reader.js';

const result = await parseLogRange(workerData as RangeTask, createCycleCounter(), () => undefined, true);
parentPort?.postMessage(result);
