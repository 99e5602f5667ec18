import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  BreachedPasswordDetection,
  BruteForceProtection,
  SuspiciousIpThrottling,
} from '../../schemas/attack-protection.js';
import {
  type AttackProtectionPart,
  getAttackProtectionPart,
  updateAttackProtectionPart,
} from '../../tenant/objects/settings.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS } from '../schemas.js';

const PARTS = {
  'brute-force-protection': BruteForceProtection,
  'suspicious-ip-throttling': SuspiciousIpThrottling,
  'breached-password-detection': BreachedPasswordDetection,
} as const;

const View = Type.Object(
  {},
  { additionalProperties: true, description: 'The stored settings of that part.' },
);
const tags = ['attack-protection'];

/** Attack protection: the three parts of the tenant file's `attackProtection`, read and patched. */
export async function attackProtectionRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  for (const [part, body] of Object.entries(PARTS) as [
    AttackProtectionPart,
    (typeof PARTS)[AttackProtectionPart],
  ][]) {
    app.get(
      `/attack-protection/${part}`,
      {
        onRequest: requireScope('read:attack_protection'),
        schema: { tags, summary: `Get ${part} settings`, response: { 200: View, ...AUTH_ERRORS } },
      },
      async () => getAttackProtectionPart(rt.store, part),
    );
    app.patch<{ Body: Record<string, unknown> }>(
      `/attack-protection/${part}`,
      {
        onRequest: requireScope('update:attack_protection'),
        schema: { tags, summary: `Update ${part} settings`, body, response: { 200: View, ...AUTH_ERRORS } },
      },
      async (request) =>
        audited(
          request,
          { description: `Update ${part} settings`, details: { fields: Object.keys(request.body) } },
          () => updateAttackProtectionPart(rt.store, part, request.body, rt.now()),
        ),
    );
  }
}
