/**
 * Through the API (what any signed-in page or a stolen session could call) no setting that names a
 * program, a file, a share or a URL can be changed: the attack set connection.powershellPath to any
 * file and had it run at the next start. Each refusal names the field and where to change it, and
 * leaves the settings file as it was.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callApi, signIn, startLabStack, type LabStack } from './support/serve-lab.js';

let stack: LabStack;
let cookie: string;
type Settings = { connection: Record<string, unknown>; servers: Array<Record<string, unknown>>; knowledgeOverrideFile: string | null; proxy: string | null; poll: { stateMinutes: number } };

const settingsFile = (): Promise<string> => readFile(join(stack.dataDir, 'settings.json'), 'utf8').catch(() => '');
async function current(): Promise<Settings> {
  return (await callApi(stack, cookie, 'getSettings', {})).body.value as Settings;
}

before(async () => {
  stack = await startLabStack();
  cookie = await signIn(stack);
});
after(async () => stack?.close());

test('program, file, share and URL settings are refused through the API, with the field and where to change it', async () => {
  const base = await current();
  const attacks: Array<[string, Settings, RegExp]> = [
    ['powershellPath', { ...base, connection: { ...base.connection, powershellPath: '/tmp/evil.sh' } }, /PowerShell program cannot be changed from the Settings view, because it names a program/],
    ['logFolder', { ...base, servers: [...base.servers, { name: 'EX99', logFolder: '\\\\attacker.example\\share' }] }, /Log folder of a server \(server ex99\).*UNC share/],
    ['knowledgeOverrideFile', { ...base, knowledgeOverrideFile: '/tmp/advice.json' }, /Knowledge-base override file/],
    ['proxy', { ...base, proxy: 'http://attacker.example:3128/' }, /Proxy cannot be changed/],
  ];
  for (const [name, settings, message] of attacks) {
    const before = await settingsFile();
    const res = await callApi(stack, cookie, 'updateSettings', { settings });
    assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.error?.message ?? '', message);
    assert.match(res.body.error?.message ?? '', /settings file .*settings\.json, then restart/);
    assert.equal(await settingsFile(), before, `${name} changed the settings file`);
    assert.equal(JSON.stringify((await current()).connection), JSON.stringify(base.connection));
  }
});

test('the other settings still save through the API', async () => {
  const base = await current();
  const res = await callApi(stack, cookie, 'updateSettings', { settings: { ...base, poll: { ...base.poll, stateMinutes: 7 } } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal((await current()).poll.stateMinutes, 7);
});
