import { errors } from '../../errors/index.js';
import { patchUserMetadata } from '../../store/repos/user-metadata.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Persists the metadata the rules and actions asked for, once: after every
 * script succeeded and, on a login that needs MFA, after the second factor
 * (mfa.decide runs first and carries the patch in the MFA transaction). The
 * tokens then see the new metadata.
 */
export const metadataWrite: LoginStep = {
  name: 'metadata.write',
  async run(ctx: LoginContext) {
    const patch = ctx.metadataPatch;
    if (!patch || !ctx.user) return;
    const result = await patchUserMetadata(ctx.rt.store.db, ctx.user.user_id, patch, ctx.rt.now());
    if (!result.ok) throw errors.metadataTooLarge(result.field);
    ctx.user = { ...ctx.user, app_metadata: result.app_metadata, user_metadata: result.user_metadata };
    ctx.metadataPatch = undefined;
  },
};
