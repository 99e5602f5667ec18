import { SecretBox } from '../store/secret-box.js';
import type { Runtime } from '../runtime.js';

const boxes = new WeakMap<Runtime, SecretBox>();

/** Seals TOTP secrets at rest under a key derived from TESSERA_SECRET. */
export function mfaBox(rt: Runtime): SecretBox {
  let box = boxes.get(rt);
  if (!box) {
    box = new SecretBox(rt.config.secret, 'tessera mfa secrets');
    boxes.set(rt, box);
  }
  return box;
}
