import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import type { AuthenticatorRow } from '../store/repos/mfa-authenticators.js';
import { insertMfaChallenge } from '../store/repos/mfa-transactions.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { codeHash, opaqueToken, sixDigits } from './codes.js';
import { MFA_LIMITS } from './settings.js';
import type { MfaTransaction } from './transactions.js';

/**
 * Sends a 6-digit code by SMS or email for an OOB authenticator and answers
 * the `oob_code` that names this challenge (both kept only as hashes; the
 * code lives 5 minutes). The user types the code; the client sends it as
 * `binding_code` with the mfa-oob grant.
 */
export async function sendOobChallenge(
  rt: Runtime,
  tx: MfaTransaction,
  auth: AuthenticatorRow,
): Promise<string> {
  const code = sixDigits();
  const oobCode = opaqueToken();
  const now = rt.now();
  await insertMfaChallenge(rt.store.db, {
    id: `ch_${randomUUID()}`,
    oob_hash: codeHash(rt, oobCode),
    transaction_id: tx.row.id,
    authenticator_id: auth.id,
    binding_hash: codeHash(rt, code),
    created_at: now,
    expires_at: now + MFA_LIMITS.oobTtlMs,
    last_poll_at: null,
    used_at: null,
  });
  const tenant = (await getTenantSettings(rt.store.db)).friendly_name ?? 'Tessera';
  const text = `Your ${tenant} verification code is ${code}. It expires in 5 minutes. If you did not try to log in, change your password.`;
  const expiresAt = now + MFA_LIMITS.oobTtlMs;
  if (auth.type === 'sms') await rt.notify.sms.send({ channel: 'sms', to: auth.name!, text, expiresAt });
  else
    await rt.notify.email.send({
      channel: 'email',
      to: auth.name!,
      subject: `${tenant} verification code`,
      text,
      expiresAt,
    });
  return oobCode;
}

/** How an OOB authenticator's phone number or address is shown: `XXXXXXXX9167`, `****@exam*******`. */
export function maskName(type: string, name: string | null): string | undefined {
  if (!name) return undefined;
  if (type === 'sms') return 'X'.repeat(Math.max(0, name.length - 4)) + name.slice(-4);
  const at = name.indexOf('@');
  const domain = name.slice(at + 1);
  return `****@${domain.slice(0, 4)}${'*'.repeat(Math.max(0, domain.length - 4))}`;
}
