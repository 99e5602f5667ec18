import { SecretBox } from './secret-box.js';

/**
 * The settings that hold secrets, and where: each action's `secrets` values
 * (`actions[].secrets.NAME`) and each rules config's `value`
 * (`rulesConfigs[].value`). At rest each such value is `{"sealed": "v1.…"}`
 * (SecretBox, AES-256-GCM under TESSERA_SECRET); in memory, as getSetting
 * answers it, the plain string. A plain string read from the database is one
 * written before sealing existed: it is taken as it is, and sealed at the
 * next boot (sealStoredSecrets).
 */
export const SEALED_SETTINGS = ['actions', 'rulesConfigs'] as const;

/** The box for these settings, from TESSERA_SECRET (a key of its own, by HKDF purpose). */
export function settingsBox(secret: string): SecretBox {
  return new SecretBox(secret, 'tessera settings secrets');
}

type Value = unknown;
type Map = (v: Value) => Value;

/** `list` with every secret value of setting `key` passed through `f`. */
function mapSecrets(key: string, list: Value, f: Map): Value {
  if (!Array.isArray(list)) return list;
  if (key === 'actions') {
    return list.map((a) => {
      const secrets = (a as { secrets?: Record<string, Value> })?.secrets;
      if (!secrets || typeof secrets !== 'object') return a;
      return { ...a, secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, f(v)])) };
    });
  }
  if (key === 'rulesConfigs') {
    return list.map((c) => (c && typeof c === 'object' && 'value' in c ? { ...c, value: f(c.value) } : c));
  }
  return list;
}

const isSealed = (v: Value): v is { sealed: string } =>
  !!v && typeof v === 'object' && typeof (v as { sealed?: unknown }).sealed === 'string';

/** The setting as stored: its secret values sealed. */
export function sealSetting(box: SecretBox, key: string, value: Value): Value {
  return mapSecrets(key, value, (v) => (typeof v === 'string' ? { sealed: box.seal(v) } : v));
}

/**
 * The setting as read: its secret values opened. Throws, naming the setting
 * and TESSERA_SECRET, when a value was sealed under another secret.
 */
export function openSetting(box: SecretBox | undefined, key: string, value: Value): Value {
  return mapSecrets(key, value, (v) => {
    if (!isSealed(v)) return v;
    if (!box) throw new Error(`the setting ${key} holds sealed secrets: set TESSERA_SECRET to read them`);
    try {
      return box.open(v.sealed);
    } catch {
      throw new Error(
        `the secrets of the setting ${key} were sealed under another TESSERA_SECRET: start with the one that sealed them`,
      );
    }
  });
}

/** True when the stored setting holds a secret value not yet sealed. */
export function hasPlainSecrets(key: string, value: Value): boolean {
  let plain = false;
  mapSecrets(key, value, (v) => {
    if (typeof v === 'string') plain = true;
    return v;
  });
  return plain;
}
