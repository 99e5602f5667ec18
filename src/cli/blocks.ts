import { Command } from 'commander';
import { lift } from '../protection/lift.js';
import { ipCountingKey, parseIpRange } from '../protection/ip.js';
import { loadPolicy } from '../protection/policy.js';
import type { Store } from '../store/db.js';
import { type BlockFilter, type BlockRow, listBlocks, listLeaks } from '../store/repos/blocks.js';
import { findUserById } from '../store/repos/users.js';
import { action, withStore } from './context.js';

interface Selector {
  user?: string;
  identifier?: string;
  ip?: string;
}

/**
 * The IP a block names: the address, or for IPv6 the network attack
 * protection counts it in (attackProtection.ipv6PrefixLength), so any
 * address of a blocked /64 finds the block; that network is accepted too.
 */
async function ipOption(store: Store, v: string | undefined): Promise<string | undefined> {
  if (v === undefined) return undefined;
  const range = parseIpRange(v);
  const cidr = v.includes('/');
  if (!range || (cidr && range.family === 'ipv4'))
    throw new Error(`--ip must be an IP address (or the IPv6 network a block names), got "${v}"`);
  if (cidr) return ipCountingKey(range.address, range.prefix);
  return ipCountingKey(range.address, (await loadPolicy(store.db)).ipv6Prefix);
}

/** The blocks a selector names: a user's (by user_id, and its email or username), an identifier's, an IP's. */
async function filterOf(store: Store, s: Selector): Promise<BlockFilter> {
  const f: BlockFilter = { ip: await ipOption(store, s.ip) };
  if (s.identifier) f.identifiers = [s.identifier.toLowerCase()];
  if (s.user) {
    const user = await findUserById(store.db, s.user);
    if (!user) throw new Error(`no user has user_id "${s.user}" (tessera users list shows them)`);
    f.userId = user.user_id;
    const ids = [user.email, user.username]
      .filter((v): v is string => Boolean(v))
      .map((v) => v.toLowerCase());
    // The user's identifiers count only in its connection; --identifier alone covers every connection.
    if (!s.identifier) {
      f.identifiers = ids;
      f.connectionId = user.connection_id;
    }
  }
  return f;
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
      action(async (opts: Selector & { json?: boolean }) => {
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
      action(async (opts: Selector) => {
        if (!opts.user && !opts.identifier && !opts.ip)
          throw new Error('name what to unblock: --user, --identifier or --ip');
        await withStore(async (store) => {
          const now = Date.now();
          const description = 'Unblocked by an administrator';
          const n = (await lift(store.db, await filterOf(store, opts), now, description)).length;
          process.stdout.write(`lifted ${n} block${n === 1 ? '' : 's'}\n`);
        });
      }),
    );
  return blocks;
}
