/**
 * The shape every benchmark reports (bench-results.json) and small helpers to measure with.
 * Timings on shared machines are noisy, so every entry is a ratio against a baseline measured
 * in the same process or script, never an absolute time.
 */
import { performance } from 'node:perf_hooks';

export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  /** value / baseline (or as the entry's goal defines it). */
  ratio: number | null;
  /** The goal in words, e.g. ">= 0.3" or "<= 1.5". */
  goal: string;
  met: boolean;
}

/** A benchmark module's default export. */
export type Benchmark = () => Promise<BenchEntry[]>;

/** Milliseconds taken by fn (the best of `runs`, to damp noise). */
export async function bestTime(fn: () => unknown, runs = 3): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** Build an entry whose goal is "ratio at least min" or "ratio at most max". */
export function ratioEntry(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  goal: { atLeast?: number; atMost?: number },
): BenchEntry {
  const ratio = baseline === 0 ? null : value / baseline;
  const met = ratio !== null && (goal.atLeast === undefined || ratio >= goal.atLeast) && (goal.atMost === undefined || ratio <= goal.atMost);
  const words = goal.atLeast !== undefined ? `ratio >= ${goal.atLeast}` : `ratio <= ${goal.atMost}`;
  return { name, value: round(value), unit, baseline: round(baseline), ratio: ratio === null ? null : round(ratio), goal: words, met };
}

/** Build an entry whose goal is an upper bound on the value itself (e.g. memory in MB). */
export function limitEntry(name: string, value: number, unit: string, atMost: number): BenchEntry {
  return { name, value: round(value), unit, baseline: null, ratio: null, goal: `<= ${atMost} ${unit}`, met: value <= atMost };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** An entry shown for reference only (e.g. a physical limit): a ratio, no goal, never counted as missed. */
export function infoEntry(name: string, value: number, unit: string, baseline: number): BenchEntry {
  return { name, value: round(value), unit, baseline: round(baseline), ratio: baseline === 0 ? null : round(value / baseline), goal: 'reference, no goal', met: true };
}
