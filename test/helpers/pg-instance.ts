import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries installed. */
function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin', name);
}

/** As the postgres user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(cmd: string, args: string[]) {
  const root = process.getuid?.() === 0;
  return root ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
}

/**
 * A PostgreSQL server of a test's own, on a free port, which the test may
 * stop, start and kill at will (never the shared one on 5432).
 */
export interface PgInstance {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
}

export async function startPg(): Promise<PgInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(g.trim()));
  }
  await asPostgres(pgBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const ctl = (args: string[]) => asPostgres(pgBin('pg_ctl'), ['-D', data, ...args]);
  const start = async () => {
    await ctl([
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '20',
      'start',
    ]);
  };
  let running = false;
  await start();
  running = true;
  // A test process that is killed or crashes must not leave its server behind.
  const reap = () => {
    if (!running) return;
    const args = [pgBin('pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
    try {
      if (process.getuid?.() === 0)
        execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', reap);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop(mode = 'fast') {
      await ctl(['-m', mode, '-w', 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async close() {
      process.off('exit', reap);
      if (running) await ctl(['-m', 'immediate', '-w', 'stop']).catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
