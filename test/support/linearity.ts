/**
 * A check that work grows linearly with input, robust to a loaded machine: the small and the large
 * input are timed alternately (a burst of load hits both), the best of several runs counts, and the
 * threshold sits halfway between linear and quadratic on a log scale (8x input: linear is 8x the
 * time, quadratic 64x; the limit is 24x). A quadratic bug still fails every time.
 */
import assert from 'node:assert/strict';

/** Time `work(size)` for `size` and 8x `size`; assert the large run takes under 24x the small one. */
export async function assertLinearTime(work: (size: number) => unknown, size: number, what: string, runs = 7): Promise<void> {
  const time = async (n: number) => {
    const start = process.hrtime.bigint();
    await work(n);
    return Number(process.hrtime.bigint() - start);
  };
  await time(size); // warm up the JIT
  await time(size * 8);
  let small = Number.POSITIVE_INFINITY;
  let large = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run += 1) {
    small = Math.min(small, await time(size));
    large = Math.min(large, await time(size * 8));
  }
  const ratio = large / small;
  assert.ok(ratio < 24, `${what}: 8x the input took ${ratio.toFixed(1)}x the time (linear is ~8x, quadratic ~64x)`);
}
