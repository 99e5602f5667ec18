import { type Static, Type } from '@sinclair/typebox';
import { Name, NonEmpty, strict } from './common.js';

/** The scopes a client may get for an API with client_credentials. */
export const ClientGrant = Type.Object(
  {
    client_id: Name({ description: 'The client granted.' }),
    audience: NonEmpty({ description: 'The identifier of the API.' }),
    scope: Type.Array(NonEmpty(), { description: 'Scopes of the API the client may get.' }),
  },
  strict({ description: 'A client grant.' }),
);
export type ClientGrant = Static<typeof ClientGrant>;
