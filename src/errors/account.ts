/** A password rule as /dbconnections reports it (identity/password-rules.ts builds them). */
export interface PasswordRule {
  message: string;
  code: string;
  format?: (number | string)[];
  items?: { message: string; code: string; verified: boolean }[];
  verified: boolean;
}

/**
 * Why a sign-up or a password-reset request was refused: a stable code and a
 * text, no wire format (the /dbconnections edge and the pages map them).
 * Nothing here ever tells whether an account exists.
 */
export type AccountErrorCode =
  | 'invalid_body'
  | 'invalid_client'
  | 'invalid_connection'
  | 'signup_disabled'
  | 'invalid_signup'
  | 'password_strength'
  | 'password_dictionary'
  | 'password_user_info'
  | 'password_leaked'
  | 'too_many_attempts';

export class AccountError extends Error {
  override name = 'AccountError';
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly extra: { rules?: PasswordRule[]; policy?: string; retryAfterS?: number } = {},
  ) {
    super(message);
  }
}

export const accountErrors = {
  invalidBody: (description: string) => new AccountError('invalid_body', description),
  missing: (field: string) => new AccountError('invalid_body', `Missing ${field}`),
  invalidClient: () => new AccountError('invalid_client', 'Unknown client'),
  invalidConnection: () =>
    new AccountError('invalid_connection', 'The connection does not exist or is not enabled for this client'),
  signupDisabled: () => new AccountError('signup_disabled', 'Signups are not allowed.'),
  invalidSignup: () => new AccountError('invalid_signup', 'Invalid sign up'),
  strength: (rules: PasswordRule[], policy: string) =>
    new AccountError('password_strength', 'Password is too weak', { rules, policy }),
  dictionary: () =>
    new AccountError('password_dictionary', 'Password is not allowed, it might be too common.'),
  userInfo: () => new AccountError('password_user_info', 'Password contains user information'),
  leaked: () =>
    new AccountError(
      'password_leaked',
      'This password has been leaked in a data breach of another website and cannot be used. Please choose another.',
    ),
  tooManyAttempts: (retryAfterS: number) =>
    new AccountError(
      'too_many_attempts',
      'We have detected suspicious sign up behavior from your IP address and further attempts will be blocked. Please try again later.',
      { retryAfterS },
    ),
};
