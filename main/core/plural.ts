/**
 * Counts in sentences for admins: "1 server", "3 servers", never "1 servers".
 */

/** `n word`, with the plural form when n is not 1 (`pluralWord` for irregular words, else word + "s"). */
export function countOf(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
