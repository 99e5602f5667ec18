import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { KEYS_RELOAD_MS, KeyStore, keyState } from '../keys/keystore.js';
import { rotateSigningKeys } from '../keys/manage.js';
import { DEFAULT_ROTATION_DELAY_S } from '../keys/rotation.js';
import { SecretBox } from '../store/secret-box.js';
import { ClusterClock, databaseNow } from '../store/clock.js';
import type { Store } from '../store/db.js';
import { action, devSecret, withStore } from './context.js';

/** `tessera keys …`: inspect the signing keys. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('signing keys');
  keys
    .command('list')
    .description('list the signing keys: kid, state, dates')
    .action(
      action(async () => {
        const config = loadConfig();
        const secret = config.secret || devSecret(config, () => {});
        await withStore(async (store) => {
          const clock = await databaseClock(store);
          const ks = new KeyStore(store, new SecretBox(secret), clock);
          await ks.reload();
          const now = clock();
          for (const k of await ks.list()) {
            const state = keyState(k, now);
            process.stdout.write(
              `${k.kid}  ${k.alg}  ${state.padEnd(8)} activates ${new Date(k.activatesAt).toISOString()}${k.retiredAt ? `  retired ${new Date(k.retiredAt).toISOString()}` : ''}\n`,
            );
          }
        }, config);
      }),
    );
  keys
    .command('rotate')
    .option(
      '--delay <seconds>',
      'publish now, sign with the new key after this delay',
      String(DEFAULT_ROTATION_DELAY_S),
    )
    .description(
      'add a new signing key; retire the current one once the new one signs; drop it when its tokens expired',
    )
    .action(
      action(async (opts: { delay: string }) => {
        const delay = Number(opts.delay);
        if (!Number.isInteger(delay) || delay < 0)
          throw new Error(`--delay must be a whole number of seconds, got "${opts.delay}"`);
        const config = loadConfig();
        const secret = config.secret || devSecret(config, () => {});
        await withStore(async (store) => {
          const ks = new KeyStore(store, new SecretBox(secret), await databaseClock(store));
          const r = await rotateSigningKeys(store, ks, delay);
          const retention = r.retention;
          process.stdout.write(
            `new key ${r.kid}: in every server's JWKS within ${KEYS_RELOAD_MS / 1000} s, signs from ${new Date(r.activatesAt).toISOString()}\n` +
              (r.retired.length
                ? `retiring ${r.retired.join(', ')} then; published until ${new Date(r.activatesAt + retention).toISOString()}\n`
                : ''),
          );
        }, config);
      }),
    );
  return keys;
}

/** Key times are compared by every node: read them against the database's clock, as the server does. */
async function databaseClock(store: Store): Promise<() => number> {
  const clock = new ClusterClock(Date.now, () => databaseNow(store));
  await clock.sync();
  return clock.now;
}
