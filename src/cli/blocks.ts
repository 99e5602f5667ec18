import { Command } from 'commander';
import { UserError } from '../identity/users.js';
import { ADMIN_UNBLOCK, type BlockSelector, blockFilterOf } from '../protection/admin-blocks.js';
import { lift } from '../protection/lift.js';
import type { Store } from '../store/db.js';
import { type BlockFilter, type BlockRow, listBlocks, listLeaks } from '../store/repos/blocks.js';
import { action, withStore } from './context.js';

/** The blocks a selector names (protection/admin-blocks.ts); its refusals as CLI errors. */
async function filterOf(store: Store, s: BlockSelector): Promise<BlockFilter> {
  try {
    return await blockFilterOf(store.db, s);
  } catch (err) {
    if (err instanceof UserError) throw new Error(err.message);
    throw err;
  }
}

function describe(b: BlockRow): string {
  const since = new Date(b.created_at).toISOString();
  if (b.kind === 'ip') {
    const until = b.expires_at ? `  until ${new Date(b.expires_at).toISOString()}` : '';
    return `ip          ${b.ip}  throttled since ${since}${until}`;
  }
  const who = `${b.identifier}${b.user_id ? ` (${b.user_id})` : ''}`;
  return `identifier  ${who}  ${b.ip ? `from ${b.ip}` : 'from any IP'}  blocked since ${since} after ${b.attempts} failures`;
}

/** `tessera blocks …`: the blocks of attack protection, and lifting them. */
export function blocksCommand(): Command {
  const blocks = new Command('blocks').description(
    'attack protection: blocked identifiers (brute force) and throttled IPs',
  );
  blocks
    .command('list')
    .option('--user <user_id>', "only this user's blocks")
    .option('--identifier <email>', 'only blocks of this email or username')
    .option('--ip <ip>', 'only blocks of this IP')
    .option('--json', 'one JSON object per line')
    .description('list the blocks in force, and users whose password was found in a breach')
    .action(
      action(async (opts: BlockSelector & { json?: boolean }) => {
        await withStore(async (store) => {
          const rows = await listBlocks(store.db, await filterOf(store, opts));
          const leaks = opts.identifier || opts.ip ? [] : await listLeaks(store.db, opts.user);
          for (const b of rows)
            process.stdout.write(opts.json ? `${JSON.stringify(b)}\n` : `${describe(b)}\n`);
          for (const l of leaks) {
            const since = new Date(l.detected_at).toISOString();
            process.stdout.write(
              opts.json
                ? `${JSON.stringify({ kind: 'leaked_password', ...l })}\n`
                : `leaked      ${l.user_id}  breached password found ${since} (lifted by a password change)\n`,
            );
          }
          if (!opts.json && rows.length + leaks.length === 0) process.stdout.write('no blocks\n');
        });
      }),
    );
  blocks
    .command('clear')
    .option('--user <user_id>', "lift the user's blocks (its email and username, from every IP)")
    .option('--identifier <email>', 'lift the blocks of this email or username (every connection)')
    .option('--ip <ip>', "lift this IP's throttle and the blocks of identifiers from it")
    .description('lift blocks; running servers notice within seconds')
    .action(
      action(async (opts: BlockSelector) => {
        if (!opts.user && !opts.identifier && !opts.ip)
          throw new Error('name what to unblock: --user, --identifier or --ip');
        await withStore(async (store) => {
          const now = Date.now();
          const n = (await lift(store.db, await filterOf(store, opts), now, ADMIN_UNBLOCK)).length;
          process.stdout.write(`lifted ${n} block${n === 1 ? '' : 's'}\n`);
        });
      }),
    );
  return blocks;
}
