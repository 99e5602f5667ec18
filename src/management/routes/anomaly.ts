import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { managementErrors } from '../../errors/index.js';
import { ipBlockKey, ipThrottle, liftIpThrottle } from '../../protection/admin-blocks.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const IpParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, description: 'An IPv4 or IPv6 address.' }) },
  { additionalProperties: false },
);
type IpParams = Static<typeof IpParams>;

/**
 * IP anomaly blocks (spec section 6): the throttles of suspicious IP
 * throttling. GET answers 200 when the IP is throttled, 404 when not (as
 * Auth0); DELETE lifts the throttle (204 either way). An IPv6 address
 * names the network it is counted in.
 */
export async function anomalyRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const db = rt.store.db;
  const keyOf = async (ip: string) => {
    const key = await ipBlockKey(db, ip);
    if (!key) throw managementErrors.invalidUri('Path validation error: ip: must be an IPv4 or IPv6 address');
    return key;
  };

  app.get<{ Params: IpParams }>(
    '/anomaly/blocks/ips/:id',
    {
      onRequest: requireScope('read:anomaly_blocks'),
      schema: {
        tags: ['anomaly'],
        summary: 'Check whether an IP address is throttled',
        params: IpParams,
        response: { 200: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const row = await ipThrottle(db, await keyOf(request.params.id), rt.now());
      if (!row) throw managementErrors.notFound('IP address specified is not currently blocked.');
      return reply.code(200).send();
    },
  );

  app.delete<{ Params: IpParams }>(
    '/anomaly/blocks/ips/:id',
    {
      onRequest: requireScope('delete:anomaly_blocks'),
      schema: {
        tags: ['anomaly'],
        summary: "Lift an IP address's throttle",
        params: IpParams,
        response: { 204: Type.Null(), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const ip = request.params.id;
      await audited(request, { description: 'Unblock an IP address', details: { ip } }, async () =>
        liftIpThrottle(db, await keyOf(ip), rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
