// The ground floor: coded errors, no wire format. Every layer may import this.
export { type AccountErrorCode, AccountError, accountErrors, type PasswordRule } from './account.js';
export { CodedError, type ErrorCode, errors, mfaErrors } from './catalogue.js';
export { NulInText, StoreError, UniqueViolation, ValueTooLong } from './store.js';
export { TesseraError, type TesseraErrorOptions } from './tessera-error.js';
export { UnavailableError } from './unavailable.js';
export { ManagementError, type ManagementErrorCode, managementErrors } from './management.js';
