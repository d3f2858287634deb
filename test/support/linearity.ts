/**
 * A check that work grows linearly with input, by counting work (characters scanned, copied,
 * bytes read: counters the code under test fills in) instead of timing it, so a busy or slow
 * machine cannot make it fail and a quadratic bug fails every time. Timing lives in `npm run bench`.
 */
import assert from 'node:assert/strict';

/**
 * Measure the work of `run(size)` and of `run(8 * size)` (`run` returns the work it counted).
 * Linear work gives 8x (a fixed overhead makes it a little less); anything past 9x grows faster
 * than the input. `perUnit`: the most work allowed per unit of input at the larger size.
 */
export async function assertLinearWork(run: (size: number) => number | Promise<number>, size: number, what: string, perUnit?: { units: (size: number) => number; max: number }): Promise<void> {
  const small = await run(size);
  const large = await run(size * 8);
  assert.ok(small > 0, `${what}: no work was counted (the counter is not wired)`);
  const ratio = large / small;
  assert.ok(ratio <= 9, `${what}: 8x the input took ${ratio.toFixed(2)}x the work (linear is 8x)`);
  if (perUnit) {
    const each = large / perUnit.units(size * 8);
    assert.ok(each <= perUnit.max, `${what}: ${each.toFixed(2)} units of work per unit of input (at most ${perUnit.max} expected)`);
  }
}
