/** Wait for a condition in real time, bounded: for effects of I/O the test cannot await directly. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000, stepMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}
