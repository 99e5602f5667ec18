import { type Static, Type } from '@sinclair/typebox';

/** The management error body, for routes' response schemas (spec section 11). */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    errorCode: Type.Optional(Type.String()),
  },
  { description: "An error, in the Management API's shape." },
);

/** The error answers every authenticated route may give. */
export const AUTH_ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody } as const;

/** A path parameter `id`: an object's id (1 to 255 characters). */
export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
export type IdParams = Static<typeof IdParams>;
