/** Where the engine looks for a server's Mitigation Service log: below its ExchangeInstallPath (K10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLogFolder } from '../../main/engine/hosts/powershell-host.js';

const C_DEFAULT = '\\\\EX01\\C$\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\MitigationService';

test('the log folder follows the install path to its drive\'s admin share, with or without a trailing backslash', () => {
  assert.equal(defaultLogFolder('EX01', 'D:\\Exchange Server\\V15\\'), '\\\\EX01\\D$\\Exchange Server\\V15\\Logging\\MitigationService');
  assert.equal(defaultLogFolder('EX01', 'f:\\Program Files\\Microsoft\\Exchange\\'), '\\\\EX01\\F$\\Program Files\\Microsoft\\Exchange\\Logging\\MitigationService');
  assert.equal(defaultLogFolder('ex01.contoso.com', 'E:\\Exchange'), '\\\\ex01.contoso.com\\E$\\Exchange\\Logging\\MitigationService');
  assert.equal(defaultLogFolder('EX01', 'E:\\'), '\\\\EX01\\E$\\Logging\\MitigationService');
});

test('without an install path, or with one that is not a plain local drive path, Setup\'s default on C: is used', () => {
  for (const odd of [null, undefined, '', '\\\\fileserver\\share\\Exchange\\', 'D:relative', 'D:\\a\\..\\..\\Windows\\', 'D:\\a\\\\b\\', 'D:\\a\\b\\:evil', '/opt/exchange', 'D:\\ spaced \\']) {
    assert.equal(defaultLogFolder('EX01', odd), C_DEFAULT, `refused: ${JSON.stringify(odd)}`);
  }
});

test('a long install path with a character Windows refuses at its end falls back to C:', () => {
  // The check is one regular expression without nested repetition, then a split: no backtracking.
  const hostile = `D:\\${'a\\'.repeat(50_000)}:`;
  assert.equal(defaultLogFolder('EX01', hostile), C_DEFAULT);
});
