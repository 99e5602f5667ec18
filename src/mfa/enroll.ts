import type { Runtime } from '../runtime.js';
import {
  type AuthenticatorRow,
  deletePendingAuthenticators,
  insertAuthenticator,
} from '../store/repos/mfa-authenticators.js';
import { EMAIL_PATTERN } from '../schemas/common.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { findUserById } from '../store/repos/users.js';
import { authenticatorId, codeHash, recoveryCode } from './codes.js';
import { mfaErrors } from '../errors/index.js';
import type { MfaCaller } from './caller.js';
import { sendOobChallenge } from './oob.js';
import { mfaBox } from './secrets.js';
import { type Factor, guardianSettings } from './settings.js';
import { barcodeUri, newTotpSecret } from './totp.js';
import { accessTokenTransaction } from './transactions.js';
import { errors } from '../errors/index.js';

export interface AssociateRequest {
  type: 'otp' | 'oob';
  channel?: 'sms' | 'email';
  phoneNumber?: string;
  email?: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * POST /mfa/associate, once `authorizeMfa` allowed it: starts enrolling an
 * authenticator, unconfirmed until the first successful MFA grant of the
 * same transaction (the mfa_token's, or the access token's own). OTP
 * answers the secret and its otpauth:// URI; SMS/email send a code at once
 * and answer its oob_code. The first enrolment also creates the user's
 * recovery code, shown this once.
 */
export async function associate(
  rt: Runtime,
  caller: MfaCaller,
  existing: AuthenticatorRow[],
  req: AssociateRequest,
): Promise<Record<string, unknown>> {
  const factor: Factor = req.type === 'otp' ? 'otp' : (req.channel ?? 'sms');
  if (!(await guardianSettings(rt)).enabled.includes(factor)) throw mfaErrors.factorDisabled(factor);
  const user = await findUserById(rt.store.db, caller.userId);
  if (!user) throw mfaErrors.malformedToken();
  if (!caller.tx && factor !== 'otp') {
    throw errors.invalidRequest(
      'Enroll SMS or email with the mfa_token of a login: the code must belong to that login',
    );
  }
  // The enrolment is bound to the transaction that started it: only its first verification confirms it.
  const tx = caller.tx ?? (await accessTokenTransaction(rt, caller.accessToken!, caller));
  await deletePendingAuthenticators(rt.store.db, caller.userId, factor);
  const now = rt.now();
  const base = {
    user_id: caller.userId,
    active: 0,
    last_step: 0,
    created_at: now,
    code_hash: null,
    enrolled_in: tx.row.id,
  };
  const recovery = await newRecoveryCode(rt, caller.userId, existing, now, tx.row.id);

  if (factor === 'otp') {
    const secret = newTotpSecret();
    await insertAuthenticator(rt.store.db, {
      ...base,
      id: authenticatorId('totp'),
      type: 'otp',
      name: null,
      secret_enc: mfaBox(rt).seal(secret),
    });
    const tenant = (await getTenantSettings(rt.store.db)).friendly_name ?? 'Tessera';
    const label = user.email ?? user.username ?? user.user_id;
    return {
      authenticator_type: 'otp',
      secret,
      barcode_uri: barcodeUri(secret, tenant, label),
      ...(recovery ? { recovery_codes: [recovery] } : {}),
    };
  }

  const name = factor === 'sms' ? req.phoneNumber : (req.email ?? user.email ?? undefined);
  if (factor === 'sms' && (!name || !E164.test(name))) {
    throw errors.invalidRequest('phone_number must be in E.164 format, such as +14155550123');
  }
  // 254: the longest address SMTP carries (RFC 5321), and within the stored name's column.
  if (factor === 'email' && (!name || name.length > 254 || !EMAIL_PATTERN.test(name))) {
    throw errors.invalidRequest('email must be an email address');
  }
  const auth: AuthenticatorRow = {
    ...base,
    id: authenticatorId(factor),
    type: factor,
    name: name!,
    secret_enc: null,
  };
  await insertAuthenticator(rt.store.db, auth);
  const oobCode = await sendOobChallenge(rt, tx, auth);
  return {
    authenticator_type: 'oob',
    binding_method: 'prompt',
    oob_channel: factor,
    oob_code: oobCode,
    ...(recovery ? { recovery_codes: [recovery] } : {}),
  };
}

/** A recovery code for a user's first enrolment (when recovery codes are enabled), else undefined. */
async function newRecoveryCode(
  rt: Runtime,
  userId: string,
  existing: AuthenticatorRow[],
  now: number,
  txId: string,
): Promise<string | undefined> {
  if (!(await guardianSettings(rt)).enabled.includes('recovery-code')) return undefined;
  if (existing.some((a) => a.type === 'recovery-code' && a.active === 1)) return undefined;
  await deletePendingAuthenticators(rt.store.db, userId, 'recovery-code');
  const code = recoveryCode();
  await insertAuthenticator(rt.store.db, {
    id: authenticatorId('recovery-code'),
    user_id: userId,
    type: 'recovery-code',
    name: null,
    secret_enc: null,
    code_hash: codeHash(rt, code),
    active: 0,
    last_step: 0,
    created_at: now,
    enrolled_in: txId,
  });
  return code;
}
