import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import type { AuthenticatorRow } from '../store/repos/mfa-authenticators.js';
import { claimOobSend } from '../store/repos/mfa-sends.js';
import { insertMfaChallenge } from '../store/repos/mfa-transactions.js';
import { renderEmail } from '../notify/templates.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { codeHash, opaqueToken, sixDigits } from './codes.js';
import { mfaErrors } from '../errors/index.js';
import { MFA_LIMITS } from './settings.js';
import type { MfaTransaction } from './transactions.js';

/**
 * Sends a 6-digit code by SMS or email for an OOB authenticator and answers
 * the `oob_code` that names this challenge (both kept only as hashes; the
 * code lives 5 minutes). The user types the code; the client sends it as
 * `binding_code` with the mfa-oob grant. Every send, from /mfa/challenge or
 * /mfa/associate, first claims its place under the send limits (one per user
 * per 30 s, five per mfa_token): else 429 `too_many_requests`, nothing sent.
 */
export async function sendOobChallenge(
  rt: Runtime,
  tx: MfaTransaction,
  auth: AuthenticatorRow,
): Promise<string> {
  const now = rt.now();
  const refused = await claimOobSend(rt.store.db, {
    txId: tx.row.id,
    userId: tx.login.userId,
    now,
    intervalMs: MFA_LIMITS.sendIntervalMs,
    maxPerTx: MFA_LIMITS.sendsPerToken,
  });
  if (refused) {
    const retryAfterS = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
    throw refused.reason === 'spent' ? mfaErrors.sendsSpent(retryAfterS) : mfaErrors.sendTooSoon(retryAfterS);
  }
  const code = sixDigits();
  const oobCode = opaqueToken();
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
  else {
    const mail = await renderEmail(rt.store.db, 'mfa_oob_code', auth.name!, {
      friendly_name: tenant,
      user: { email: auth.name },
      code,
    });
    // The tenant may turn the template off only for its look: the code must still reach the user.
    await rt.notify.email.send({
      ...(mail ?? { channel: 'email', to: auth.name!, subject: `${tenant} verification code`, text }),
      expiresAt,
    });
  }
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
