/**
 * Seeded randomness for the lab. Every draw is a pure function of (seed, keys), never a stream:
 * advancing 48 hours at once or 24 + 24 writes the very same files.
 */

/** FNV-1a over the text, mixed with the seed: a 32-bit unsigned hash. */
export function hashKey(seed: number, ...keys: (string | number)[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  const text = keys.join('\u0001');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3 fmix32)
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** An integer in [min, max] drawn from (seed, keys). */
export function drawInt(seed: number, min: number, max: number, ...keys: (string | number)[]): number {
  return min + (hashKey(seed, ...keys) % (max - min + 1));
}

/** The seed of a scenario name. */
export function seedOf(name: string): number {
  return hashKey(0x5eed, name);
}
