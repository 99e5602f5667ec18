import { createRequire } from 'node:module';
import type IvmModule from 'isolated-vm';

// Loaded on the first compile, not on import: the tenant modules (and so the
// server, through the Management API) import this file, and a tenant without
// scripts must never load isolated-vm (test/rules/hot-path.test.ts).
const requireHere = createRequire(import.meta.url);
let ivm: typeof IvmModule | undefined;
function isolatedVm(): typeof IvmModule {
  ivm ??= requireHere('isolated-vm') as typeof IvmModule;
  return ivm;
}

const FILENAME = 'tenant-script';

/** A script to compile: its wrapped source and how many lines the wrapper adds before it. */
export interface ScriptSource {
  source: string;
  /** Lines before the tenant's first line (wrapRule and wrapAction add one). */
  linesBefore: number;
}

/**
 * Compiles each script in a V8 isolate, as a login would (isolated-vm, the
 * same wrapped source), without running any of it. Answers, per script,
 * undefined or what is wrong with its position in the tenant's own source:
 * `line 3, column 18: missing ) after argument list`.
 */
export function compileErrors(scripts: ScriptSource[]): (string | undefined)[] {
  if (scripts.length === 0) return [];
  const isolate = new (isolatedVm().Isolate)({ memoryLimit: 16 });
  try {
    return scripts.map(({ source, linesBefore }) => {
      try {
        isolate.compileScriptSync(source, { filename: FILENAME, lineOffset: -linesBefore }).release();
        return undefined;
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        const at = /^(.*) \[tenant-script:(\d+):(\d+)\]$/s.exec(text);
        return at ? `line ${at[2]}, column ${at[3]}: ${at[1]}` : text;
      }
    });
  } finally {
    isolate.dispose();
  }
}
