/**
 * @deprecated The sections this file once held are implemented; their schemas
 * live in `src/schemas/`. Import `WHOLE_SECTION_KEYS` from `./schema.js`
 * instead; this file goes once apply.ts does.
 */
export { WHOLE_SECTION_KEYS as LATER_SECTION_KEYS } from './schema.js';
