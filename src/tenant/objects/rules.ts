import type { RulesConfig, Rule } from '../../schemas/rule.js';
import type { ClientGrant } from '../../schemas/client-grant.js';
import type { ListSection } from './sections.js';

/** The tenant file's `rules` (unique by name; ids `rul_…` derived from the name, kept through a rename). */
export const RULES: ListSection<Rule> = {
  key: 'rules',
  keyOf: (r) => r.name,
  idPrefix: 'rul_',
  what: 'rule',
};

/** The tenant file's `rulesConfigs` (the key is the id). */
export const RULES_CONFIGS: ListSection<RulesConfig> = {
  key: 'rulesConfigs',
  keyOf: (c) => c.key,
  what: 'rules config',
};

/** The tenant file's `clientGrants` (one per client and audience; ids `cgr_…` derived from both). */
export const CLIENT_GRANTS: ListSection<ClientGrant> = {
  key: 'clientGrants',
  keyOf: (g) => `${g.client_id}\n${g.audience}`,
  idPrefix: 'cgr_',
  what: 'client grant',
};

/** A rule in Auth0's JSON shape. */
export function ruleView(id: string, r: Rule) {
  return {
    id,
    name: r.name,
    script: r.script,
    enabled: r.enabled !== false,
    ...(r.order === undefined ? {} : { order: r.order }),
    stage: 'login_success',
  };
}

/** A client grant in Auth0's JSON shape. */
export function clientGrantView(id: string, g: ClientGrant) {
  return { id, client_id: g.client_id, audience: g.audience, scope: g.scope };
}
