import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, toCsv } from '../../main/api/export-data.js';

/** A small RFC 4180 reader, to prove the CSV round-trips. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += c;
  }
  return rows;
}

test('CSV cells with commas, quotes and line breaks round-trip through an RFC 4180 reader', () => {
  const awkward = ['a,b', 'say "hi"', 'line1\r\nline2', ' padded ', 'plain', ''];
  const text = toCsv(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], [awkward]);
  assert.deepEqual(readCsv(text), [['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], awkward]);
});

test('cells a spreadsheet would run as a formula are defused, numbers are left alone', () => {
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('-1.5'), '-1.5');
  assert.equal(csvCell('-cmd'), "'-cmd");
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(['M2', 'M1']), '"M2; M1"');
});

test('a formula that starts like a negative number, or after blanks, is defused too', () => {
  // OWASP's own example: "-2+3+cmd|' /C calc'!A0" runs calc in Excel if left as is.
  assert.equal(csvCell("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  assert.equal(csvCell('-1.5+SUM(A1:A9)'), "'-1.5+SUM(A1:A9)");
  assert.equal(csvCell('+1'), '+1');
  assert.equal(csvCell('-2e3'), '-2e3');
  assert.equal(csvCell(' =1+1'), "' =1+1");
  assert.equal(csvCell('\t=1+1'), "'\t=1+1");
  const row = readCsv(toCsv(['caller'], [['-2+3+cmd|x']]))[1];
  assert.deepEqual(row, ["'-2+3+cmd|x"]);
});

test('cells with ";" are quoted for spreadsheets that split on it, and a leading control character is defused', () => {
  assert.equal(csvCell('M2.1.0;M1.1.0'), '"M2.1.0;M1.1.0"');
  assert.equal(csvCell('\u0000=cmd'), "'\u0000=cmd");
  assert.equal(csvCell('\u001b]52;c;x'), `"'\u001b]52;c;x"`);
  assert.equal(csvCell('\n=1+1'), `"'\n=1+1"`);
  const text = toCsv(['a', 'b'], [['x;y', 'plain']]);
  assert.deepEqual(readCsv(text), [['a', 'b'], ['x;y', 'plain']]);
});
