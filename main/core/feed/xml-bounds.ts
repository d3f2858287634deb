/**
 * Bounds on the work a definitions file may cause, checked before xml-crypto sees it. Bytes alone
 * do not bound it: xml-crypto's XPath node sets grow super-linearly with the number of elements
 * (measured on the build machines: 8,000 elements took 2 s, 16,000 took 6.5 s, and a 5 MB file of
 * 36,000 small Config elements 95 s), so the element count and the nesting depth are limited too.
 *
 * The limits sit far above any real file: Microsoft's signed file of 2021 has 27 elements and a
 * depth of 6 (EOCS/Signature/KeyInfo/KeyValue/RSAKeyValue/Modulus) [CONFIRMED from the file]; 4,096
 * elements leave room for about a thousand mitigations of the confirmed shape (Config, ActionList,
 * Action, Value) and keep xml-crypto well under a second on these machines (4,000 elements: 0.5 s).
 */

/** Default element limit. */
export const DEFAULT_MAX_ELEMENTS = 4096;
/** Default nesting limit (elements inside elements, the root counting as 1). */
export const DEFAULT_MAX_DEPTH = 32;

/**
 * Count the start tags of the raw text, up to `limit + 1` (then it stops: the answer is "too many").
 * Every "<" followed by a name character counts, so a "<x" inside a comment or CDATA counts too:
 * the count can only be high, never low, and it runs before any parser.
 */
export function countStartTags(text: string, limit: number): number {
  let count = 0;
  for (let at = text.indexOf('<'); at !== -1; at = text.indexOf('<', at + 1)) {
    const next = text.charCodeAt(at + 1);
    // '/' 47 end tag, '!' 33 comment/CDATA/DOCTYPE, '?' 63 processing instruction.
    if (next === 47 || next === 33 || next === 63 || Number.isNaN(next)) continue;
    count += 1;
    if (count > limit) return count;
  }
  return count;
}

/** The nesting depth of the element tree under `root` (root = 1), stopping once past `limit`. */
export function elementDepth(root: Element, limit: number): number {
  let deepest = 0;
  const stack: Array<{ node: Node; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 1) stack.push({ node: child, depth: depth + 1 });
    }
  }
  return deepest;
}
