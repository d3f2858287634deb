/**
 * Test support: a real HTTP proxy on loopback (Debian's tinyproxy, scripts/system-packages.txt),
 * open or asking for Basic authentication, started in the foreground with its own config in a
 * temp folder and stopped with the test. Its log says which CONNECTs went through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TINYPROXY = '/usr/bin/tinyproxy';

export interface Tinyproxy {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** The CONNECT lines of its log so far ("CONNECT 127.0.0.1:4433 HTTP/1.1"). */
  connects(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on right now (for a proxy that does not answer, too). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Start tinyproxy on a free loopback port; `basicAuth` makes it answer 407 to anyone without it. */
export async function startTinyproxy(options: { basicAuth?: { user: string; password: string } } = {}): Promise<Tinyproxy> {
  if (!existsSync(TINYPROXY)) throw new Error(`${TINYPROXY} is missing: apt-get install tinyproxy (it is listed in scripts/system-packages.txt, which .ci/run installs).`);
  const dir = await mkdtemp(join(tmpdir(), 'eems-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  // No ConnectPort line: CONNECT to any port (the test endpoint's is random).
  const lines = [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 20', 'LogLevel Connect', `LogFile "${log}"`, 'MaxClients 20'];
  if (options.basicAuth) lines.push(`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`);
  await writeFile(join(dir, 'tinyproxy.conf'), `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Ready when the port accepts a connection (connecting, never binding: a probe that bound the
  // port would take it from tinyproxy).
  for (let attempt = 0; ; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || attempt > 400) throw new Error(`tinyproxy did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async connects() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return text.split('\n').filter((line) => /\bCONNECT\b.*Request/.test(line)).map((line) => line.replace(/^.*?: Request \(file descriptor \d+\): /, ''));
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
