import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { EVENT_TYPES } from '../events/log.js';
import { purgeExpired } from '../events/retention.js';
import { migrate, openStore, storeOptions } from '../store/db.js';
import { listEvents } from '../store/repos/events.js';
import { readOutbox } from '../notify/outbox.js';
import { applyTenant } from '../tenant/apply.js';
import { exportTenant, stringifyTenant } from '../tenant/export.js';
import { parseTenantFile } from '../tenant/parse.js';
import type { TenantDoc } from '../tenant/schema.js';
import { hasPlainSecrets, SEALED_SETTINGS } from '../store/sealed-settings.js';
import { blocksCommand } from './blocks.js';
import { defaultWorkers, isWorker, parseWorkers, runWorker, startCluster } from './cluster.js';
import { action, devSecret, positiveInteger, readTextFile, storeSecret, withStore } from './context.js';
import { bindingNote, DEV_HOST, demoBanner, startDemoApps } from './demo.js';
import { keysCommand } from './keys.js';
import { rolesCommand } from './roles.js';
import { ticketsCommand } from './tickets.js';
import { usersCommand } from './users.js';
import { DEMO_TENANT, startServer } from './serve.js';

const program = new Command('tessera')
  .description("Tessera: an OAuth 2.0 password-flow authorization server speaking Auth0's dialect")
  .showHelpAfterError();

program
  .command('dev')
  .description(
    'run on the embedded default: SQLite under ./.tessera, the demo tenant on a new database, the Orders API and the trusted app',
  )
  .action(
    action(async () => {
      const config = loadConfig();
      // Public demo secrets: this machine only, unless HOST asks for more.
      if (!process.env.HOST) config.host = DEV_HOST;
      config.secret = devSecret(config, (m) => process.stderr.write(`warning: ${m}\n`));
      const started = await startServer(config, { demo: true });
      const bound = (started.app.server.address() as AddressInfo).address;
      printDemo(started.rt.config.issuer, started.url, bindingNote(bound));
      process.stdout.write(demoBanner(await startDemoApps(config, started)));
    }),
  );

program
  .command('serve')
  .description(
    'run in production: needs TESSERA_SECRET; reads TESSERA_DATABASE_URL, TESSERA_ISSUER, HOST, PORT, TLS',
  )
  .option(
    '--workers <n>',
    `worker processes sharing the port (default: the number of cores, ${defaultWorkers()} here; 1: one process)`,
  )
  .action(
    action(async (opts: { workers?: string }) => {
      const config = loadConfig();
      if (isWorker()) return runWorker(config);
      const workers = memoryDatabase(config, opts.workers) ? 1 : parseWorkers(opts.workers);
      if (workers === 1) await startServer(config);
      else await startCluster(config, workers);
    }),
  );

program
  .command('migrate')
  .description('bring the database schema up to date (also done at every start)')
  .action(
    action(async () => {
      const config = loadConfig();
      const store = openStore(config.databaseUrl, storeOptions(config));
      const ran = await migrate(store);
      process.stdout.write(ran.length ? `applied: ${ran.join(', ')}\n` : 'database schema is up to date\n');
      await store.close();
    }),
  );

program
  .command('apply')
  .argument('<file>', 'tenant file (YAML or JSON)')
  .option('--prune', 'also delete what the file does not name')
  .description('make the database match a tenant file (idempotent)')
  .action(
    action(async (file: string, opts: { prune?: boolean }) => {
      // An unset secret variable keeps the database's secret (re-applying an export).
      const doc = parseTenantFile(readTextFile(file, 'the tenant file'), process.env, {
        keepStoredSecrets: true,
      });
      const config = loadConfig();
      if (!storeSecret(config) && holdsSettingSecrets(doc)) {
        throw new Error(
          "the tenant file holds action secrets or rules-config values, which are stored sealed: set TESSERA_SECRET (the server's)",
        );
      }
      await withStore(async (store) => {
        const report = await applyTenant(store, doc, { prune: Boolean(opts.prune) });
        for (const k of report.kept ?? []) process.stdout.write(`${k}\n`);
        for (const c of report.created) process.stdout.write(`created ${c}\n`);
        for (const u of report.updated) process.stdout.write(`updated ${u}\n`);
        for (const d of report.deleted) process.stdout.write(`deleted ${d}\n`);
        process.stdout.write(`${report.unchanged} unchanged\n`);
      }, config);
    }),
  );

/** True when the document carries a value the store seals (sealed-settings.ts names them). */
function holdsSettingSecrets(doc: TenantDoc): boolean {
  return SEALED_SETTINGS.some((key) => hasPlainSecrets(key, doc[key]));
}

program
  .command('export')
  .option('-o, --out <file>', 'write to a file instead of standard output')
  .description('write the tenant as a tenant file (no secrets, no passwords)')
  .action(
    action(async (opts: { out?: string }) => {
      await withStore(async (store) => {
        const text = stringifyTenant(await exportTenant(store));
        if (opts.out) writeFileSync(opts.out, text);
        else process.stdout.write(text);
      });
    }),
  );

program
  .command('logs')
  .option('-n, --limit <n>', 'how many events', '20')
  .option('-t, --type <code>', 'only this event code (sepft, fp, fu, fepft …)')
  .option('--user <user_id>', 'only this user')
  .option('--json', 'one JSON object per line')
  .description('print the latest audit events, newest first')
  .action(
    action(async (opts: { limit: string; type?: string; user?: string; json?: boolean }) => {
      const limit = positiveInteger('--limit', opts.limit);
      if (opts.type !== undefined && !Object.hasOwn(EVENT_TYPES, opts.type)) {
        throw new Error(
          `--type must be an event code Tessera records (${Object.keys(EVENT_TYPES).join(', ')}), got "${opts.type}"`,
        );
      }
      await withStore(async (store) => {
        const events = await listEvents(store.db, { limit, type: opts.type, userId: opts.user });
        for (const e of events) {
          if (opts.json) process.stdout.write(`${JSON.stringify(e)}\n`);
          else {
            const when = new Date(e.date).toISOString();
            const who = e.user_name ?? e.user_id ?? '-';
            process.stdout.write(
              `${when}  ${e.type.padEnd(6)} ${who}  client=${e.client_id ?? '-'} connection=${e.connection ?? '-'} ip=${e.ip ?? '-'}${e.description ? `  ${e.description}` : ''}\n`,
            );
          }
        }
      });
    }),
  );

program
  .command('purge')
  .description(
    'delete audit events and outbox messages past TESSERA_LOG_RETENTION_DAYS (default 30) and ended security state (serve does this every TESSERA_PURGE_INTERVAL_MINUTES)',
  )
  .action(
    action(async () => {
      const config = loadConfig();
      await withStore(async (store) => {
        const counts = await purgeExpired(store, Date.now(), { logRetentionDays: config.logRetentionDays });
        for (const [what, n] of Object.entries(counts)) process.stdout.write(`${what}: ${n} deleted\n`);
      }, config);
    }),
  );

program
  .command('outbox')
  .option('-n, --limit <n>', 'how many messages', '10')
  .option('--to <recipient>', 'only messages to this email address or phone number')
  .description(
    'print the latest emails and text messages kept while no SMTP server or SMS gateway is configured',
  )
  .action(
    action(async (opts: { limit: string; to?: string }) => {
      const limit = positiveInteger('--limit', opts.limit);
      const config = loadConfig();
      const secret = config.secret || devSecret(config, () => {});
      await withStore(async (store) => {
        for (const m of await readOutbox(store, secret, { limit, recipient: opts.to })) {
          const when = new Date(m.created_at).toISOString();
          process.stdout.write(
            `${when}  ${m.channel} to ${m.recipient}${m.subject ? `  "${m.subject}"` : ''}\n${m.body.replace(/^/gm, '    ')}\n\n`,
          );
        }
      }, config);
    }),
  );

program.addCommand(keysCommand());
program.addCommand(usersCommand());
program.addCommand(rolesCommand());
program.addCommand(ticketsCommand());
program.addCommand(blocksCommand());

function printDemo(issuer: string, url: string, binding: string): void {
  const base = issuer.replace(/\/$/, '');
  process.stdout.write(`
Tessera is listening on ${url} (issuer ${issuer}), demo tenant: ${DEMO_TENANT}
It is ${binding}.

Log the demo user in:

  curl -s ${base}/oauth/token \\
    -d grant_type=password -d username=alice@acme.test -d password=Alice-demo-passw0rd \\
    -d client_id=acme-web -d client_secret=demo-acme-web-secret-not-for-production \\
    -d audience=https://api.acme.test/orders -d scope=openid

`);
}

/** An in-memory SQLite database is one process's own: the default becomes one worker, more is refused. */
function memoryDatabase(config: { databaseUrl: string }, workers: string | undefined): boolean {
  if (config.databaseUrl !== ':memory:') return false;
  if (workers !== undefined && parseWorkers(workers) > 1)
    throw new Error("--workers above 1 needs a database file or PostgreSQL: :memory: is one process's own");
  return true;
}

await program.parseAsync(process.argv);
