import type { Notice } from './sessions.js';
import { errorBody, tesseraError } from './tessera.js';

const GENERIC: Notice = {
  kind: 'error',
  title: 'Sign-in is not available right now',
  text: 'Something went wrong on our side. Please try again in a moment.',
};

const APP_MISCONFIGURED: Notice = {
  kind: 'error',
  title: 'This application cannot sign you in',
  text: 'The sign-in service refused the application itself. Please tell the administrator.',
};

/** The status of a page that shows a failed call: Tessera's 4xx, else 503. */
export function statusFor(err: unknown): number {
  const status = tesseraError(err)?.status ?? 503;
  return status >= 400 && status < 500 ? status : 503;
}

/**
 * What the user reads for a failed sign-in: the error codes of Tessera's
 * token endpoint (Auth0's) turned into plain sentences. Tessera's own
 * description is shown where it is written for the end user (blocks,
 * breached passwords, a rule's or action's reason). Anything unexpected gets
 * a generic sentence; details go to the log, never to the page.
 */
export function loginErrorMessage(err: unknown): Notice {
  const e = tesseraError(err);
  if (!e) return GENERIC;
  const { status, code, description } = e;
  switch (code) {
    case 'invalid_grant':
      return {
        kind: 'error',
        title: 'Wrong email or password',
        text: 'Check your email, password and directory, then try again.',
      };
    case 'too_many_attempts':
      // Brute-force block (this account from this IP) or suspicious-IP throttling: Tessera's text says which.
      return { kind: 'error', title: 'Sign-in blocked', text: description };
    case 'password_leaked':
      return { kind: 'error', title: 'Password found in a data breach', text: description };
    case 'unauthorized':
      if (description === 'user is blocked') {
        return {
          kind: 'error',
          title: 'Account blocked',
          text: 'This account has been blocked by an administrator.',
        };
      }
      // A rule called back with UnauthorizedError(reason).
      return { kind: 'error', title: 'Access denied', text: description };
    case 'access_denied':
      // 401 access_denied "Unauthorized" is Tessera refusing the app's own credentials.
      if (status === 401) return APP_MISCONFIGURED;
      // An action's api.access.deny(reason).
      return { kind: 'error', title: 'Access denied', text: description };
    case 'invalid_request':
      if (/realm/i.test(description)) {
        return {
          kind: 'error',
          title: 'Unknown directory',
          text: 'That directory does not exist or is not open to this application. Pick another one.',
        };
      }
      return { kind: 'error', title: 'The sign-in request was refused', text: description };
    case 'unauthorized_client':
    case 'invalid_client':
      return APP_MISCONFIGURED;
    case 'too_many_requests':
      return {
        kind: 'error',
        title: 'Too many requests',
        text: 'Please wait a moment and try again.',
      };
    default:
      return GENERIC;
  }
}

/** What the user reads when a code was refused at the MFA step. */
export function mfaErrorMessage(err: unknown): Notice {
  const e = tesseraError(err);
  if (!e) return GENERIC;
  const { code, description } = e;
  if (code === 'invalid_grant' && /otp_code|binding_code|recovery code/i.test(description)) {
    return {
      kind: 'error',
      title: 'That code is not right',
      text: 'Check the code and try again (authenticator codes change every 30 seconds).',
    };
  }
  if (code === 'expired_token' && /oob_code/.test(description)) {
    return { kind: 'error', title: 'That code has expired', text: 'Send yourself a new code.' };
  }
  if (code === 'too_many_attempts' || code === 'slow_down') {
    return { kind: 'error', title: 'Too many attempts', text: description };
  }
  if (code === 'unsupported_challenge_type') {
    return { kind: 'error', title: 'Not available', text: description };
  }
  return loginErrorMessage(err);
}

/** The mfa_token died (expired after 10 minutes, or refused): the login must start again. */
export function mfaTokenDead(err: unknown): boolean {
  const e = tesseraError(err);
  return (
    e !== undefined &&
    ((e.code === 'expired_token' && /mfa_token/.test(e.description)) ||
      (e.code === 'invalid_grant' && /mfa_token/i.test(e.description)))
  );
}

export const SESSION_EXPIRED: Notice = {
  kind: 'error',
  title: 'Your sign-in took too long',
  text: 'For your security it was cancelled. Please sign in again.',
};

export const SIGNED_OUT_BY_SERVER: Notice = {
  kind: 'error',
  title: 'Your session has ended',
  text: 'Please sign in again.',
};

const SIGNUP_UNAVAILABLE: Notice = {
  kind: 'error',
  title: 'Accounts cannot be created right now',
  text: 'Something went wrong on our side. Please try again in a moment.',
};

/**
 * What the user reads when sign-up was refused. /dbconnections answers in
 * Auth0's own shape (`{name, code, description, statusCode}`), which the SDK
 * turns into an `AuthApiError` whose `error` is the `code`; the whole answer
 * stays in its `body`. A weak password is Auth0's PasswordStrengthError,
 * with the connection's policy as text in `policy`: the form shows it.
 */
export function signUpErrorMessage(err: unknown): { notice: Notice; status: number; policy?: string } {
  const e = tesseraError(err);
  if (!e) return { notice: SIGNUP_UNAVAILABLE, status: 503 };
  const body = errorBody(err);
  const status = statusFor(err);
  const said = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  switch (e.code) {
    case 'invalid_password': {
      if (body.name === 'PasswordStrengthError') {
        return {
          notice: {
            kind: 'error',
            title: 'Password is too weak',
            text: 'Choose a password that meets this policy:',
          },
          status,
          policy: said(body.policy),
        };
      }
      // PasswordDictionaryError, PasswordNoUserInfoError: their message is for the user.
      return {
        notice: {
          kind: 'error',
          title: 'Choose another password',
          text: said(body.message) ?? said(body.description) ?? 'That password cannot be used.',
        },
        status,
      };
    }
    case 'password_leaked':
      return {
        notice: { kind: 'error', title: 'Password found in a data breach', text: e.description },
        status,
      };
    case 'invalid_signup':
      // Tessera never says whether the address is taken (no user enumeration).
      return {
        notice: {
          kind: 'error',
          title: 'The account could not be created',
          text: 'If you already have an account, sign in or use "Forgot password?".',
        },
        status,
      };
    case 'operation_not_allowed':
      return {
        notice: {
          kind: 'error',
          title: 'Sign-up is closed',
          text: 'New accounts cannot be created here. Please ask the administrator.',
        },
        status,
      };
    case 'too_many_attempts':
    case 'too_many_requests':
      return {
        notice: { kind: 'error', title: 'Too many attempts', text: 'Please wait a moment and try again.' },
        status,
      };
    case 'invalid_body':
      return {
        notice: {
          kind: 'error',
          title: 'Check the form',
          text: said(body.description) ?? 'Please try again.',
        },
        status,
      };
    case 'invalid_client':
    case 'unauthorized_client':
    case 'invalid_connection':
      return { notice: APP_MISCONFIGURED, status };
    default:
      return { notice: SIGNUP_UNAVAILABLE, status: 503 };
  }
}

/** What the user reads when "Forgot password?" could not send (Tessera answers 200 for any address). */
export function changePasswordErrorMessage(err: unknown): { notice: Notice; status: number } {
  const e = tesseraError(err);
  if (e?.code === 'too_many_attempts' || e?.code === 'too_many_requests') {
    return {
      notice: { kind: 'error', title: 'Too many requests', text: 'Please wait a moment and try again.' },
      status: statusFor(err),
    };
  }
  if (e && (e.code === 'invalid_client' || e.code === 'invalid_connection')) {
    return { notice: APP_MISCONFIGURED, status: statusFor(err) };
  }
  return {
    notice: {
      kind: 'error',
      title: 'The email could not be sent',
      text: 'Something went wrong on our side. Please try again in a moment.',
    },
    status: e ? statusFor(err) : 503,
  };
}
