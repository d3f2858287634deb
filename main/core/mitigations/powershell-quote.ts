/**
 * Quoting for the PowerShell an admin is shown and may copy (issue 14.5). Only single-quoted string
 * literals are used for data: inside them PowerShell expands nothing ($, backtick, ; and newlines are
 * plain characters), and the only character that ends one is a single quote. PowerShell's tokenizer
 * counts FIVE characters as single quotes, not one: ' U+0027 and the typographic ‘ ’ ‚ ‛
 * (U+2018..U+201B) [CONFIRMED: System.Management.Automation.Language.CharExtensions.IsSingleQuote, and
 * run through PowerShell 7.6's parser in test/core/mitigations/powershell-quote.test.ts]. Two
 * single-quote characters in a row inside the literal stand for the second one, so doubling every one
 * of the five keeps the text byte for byte and never lets it end the string. (The double quotes
 * U+201C..U+201E matter only inside double-quoted strings, which are never used for data.)
 */

/** The characters PowerShell reads as a single quote. */
const SINGLE_QUOTE_CLASS = /['\u2018\u2019\u201A\u201B]/g;

/** A PowerShell single-quoted string literal whose value is exactly `text`, for any Unicode text. */
export function psString(text: string): string {
  return `'${text.replace(SINGLE_QUOTE_CLASS, (q) => q + q)}'`;
}

/** An array literal of single-quoted strings: @('M2','M2.1.0'). */
export function psStringArray(items: readonly string[]): string {
  return `@(${items.map(psString).join(',')})`;
}

/** PowerShell's $true / $false. */
export function psBool(value: boolean): string {
  return value ? '$true' : '$false';
}
