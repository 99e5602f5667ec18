import type { Message } from '../notify/types.js';

/** The emails attack protection sends: plain text, nothing the reader must trust but the link. */

/** What the blocked-account email says: who was blocked, from where, and the unblock link. */
export interface BlockedMailFacts {
  tenant: string;
  identifier: string;
  ip: string;
  attempts: number;
  perIp: boolean;
  link?: string;
  /** When the unblock link stops working: the outbox deletes the message then. */
  linkExpiresAt?: number;
}

export function userBlockedMail(to: string, m: BlockedMailFacts): Message {
  const where = m.perIp ? ` from the IP address ${m.ip}` : '';
  const lines = [
    'Hello,',
    '',
    `We detected ${m.attempts} consecutive failed attempts to log in to your ${m.tenant} account (${m.identifier})${where}.`,
    m.link ? `We blocked further attempts${where} to protect your account.` : '',
    '',
  ];
  if (m.link) {
    lines.push(
      'If these attempts were yours, unblock your account with this link (it works once, within 24 hours):',
      '',
      m.link,
      '',
      'If they were not yours, someone may be trying to guess your password: do not use the link, and consider changing your password (which also lifts the block).',
    );
  } else {
    lines.push(
      'If these attempts were not yours, someone may be trying to guess your password: consider changing it.',
    );
  }
  return {
    channel: 'email',
    to,
    subject: m.link
      ? `Your ${m.tenant} account has been blocked`
      : `Failed logins to your ${m.tenant} account`,
    text: lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n'),
    ...(m.link && m.linkExpiresAt !== undefined ? { expiresAt: m.linkExpiresAt } : {}),
  };
}

export function ipThrottledMail(to: string, m: { tenant: string; ip: string; attempts: number }): Message {
  return {
    channel: 'email',
    to,
    subject: `${m.tenant}: suspicious logins from ${m.ip}`,
    text: [
      'Hello,',
      '',
      `The ${m.ip.includes('/') ? 'IPv6 network' : 'IP address'} ${m.ip} made ${m.attempts} failed login attempts across accounts of ${m.tenant} without a successful one.`,
      'Tessera throttles its further login attempts (suspicious IP throttling).',
      '',
      `If this address is legitimate (an office, a backend), lift the throttle with: tessera blocks clear --ip ${m.ip}`,
      'and consider adding it to attackProtection.suspiciousIpThrottling.allowlist.',
    ].join('\n'),
  };
}

export function leakedUserMail(
  to: string,
  m: { tenant: string; identifier: string; blocked: boolean },
): Message {
  return {
    channel: 'email',
    to,
    subject: `Your ${m.tenant} password has appeared in a data breach`,
    text: [
      'Hello,',
      '',
      `The password of your ${m.tenant} account (${m.identifier}) appears in a published data breach of another website, so others may know it.`,
      m.blocked
        ? 'To protect your account, logins with this password are blocked until it is changed. Choose a new password with "Forgot password?" on the login form: we will email you a link.'
        : 'Change it as soon as possible, here and wherever else you used it.',
    ].join('\n'),
  };
}

export function leakedAdminMail(
  to: string,
  m: { tenant: string; userId: string; identifier: string; ip: string; blocked: boolean },
): Message {
  return {
    channel: 'email',
    to,
    subject: `${m.tenant}: a login used a breached password`,
    text: [
      'Hello,',
      '',
      `User ${m.userId} (${m.identifier}) logged in from ${m.ip} with a password that appears in a published data breach.`,
      m.blocked
        ? 'Logins with this password are blocked until it changes: tessera users set-password lifts it.'
        : 'The login was allowed (breachedPasswordDetection has no block shield).',
    ].join('\n'),
  };
}
