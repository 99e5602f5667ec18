export type { LoginAttempt, LoginContext, RateLimit, RefreshRedemption, RequestInfo } from './context.js';
export { eventFields } from './event-fields.js';
export { failureAuditCode, isWrongCredentials, type LoginFailure } from './failure.js';
export type { LoginSnapshot } from './snapshot.js';
export type { LoginStep } from './step.js';
