import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { KeyStore } from '../keys/keystore.js';
import { SecretBox } from '../keys/secret-box.js';
import { action, devSecret, openMigratedStore } from './context.js';

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
        const store = await openMigratedStore(config);
        try {
          const ks = new KeyStore(store, new SecretBox(secret), Date.now);
          await ks.reload();
          const now = Date.now();
          for (const k of await ks.list()) {
            const state =
              k.retiredAt !== null && k.retiredAt <= now
                ? 'retired'
                : k.activatesAt > now
                  ? 'pending'
                  : 'active';
            process.stdout.write(
              `${k.kid}  ${k.alg}  ${state.padEnd(8)} activates ${new Date(k.activatesAt).toISOString()}${k.retiredAt ? `  retired ${new Date(k.retiredAt).toISOString()}` : ''}\n`,
            );
          }
        } finally {
          await store.close();
        }
      }),
    );
  return keys;
}
