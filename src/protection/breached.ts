import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';
import { DEFAULT_BREACHED } from './breached-default.js';
import { DEFAULTS } from '../config/defaults.js';

/** A single corpus file up to this size is read into memory; a larger one is searched in place (sorted by hash). */
export const IN_MEMORY_LIMIT = DEFAULTS.protection.breachedInMemoryBytes;

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();

let defaults: Set<string> | undefined;

/** Parses `SHA1[-SUFFIX]:COUNT` lines; lines with a count of 0 (HIBP padding) are not leaks. */
function parseLines(text: string, prefix = ''): Set<string> {
  const set = new Set<string>();
  for (const line of text.split('\n')) {
    const [hash, count] = line.trim().split(':');
    if (hash && count !== undefined && Number(count) > 0) set.add(prefix + hash.toUpperCase());
  }
  return set;
}

/**
 * The breached-password corpus: the small default list always, plus the
 * operator's copy of Have I Been Pwned when configured: a directory of range
 * files (`<PREFIX5>.txt` with `SUFFIX35:COUNT` lines, as the range API
 * serves them) or one file of `SHA1:COUNT` lines (a large one must be the
 * ordered-by-hash download: it is binary-searched, not loaded).
 */
export class BreachedCorpus {
  private readonly mode: 'none' | 'dir' | 'file';
  private small: Promise<Set<string>> | undefined;
  private handle: Promise<{ fh: FileHandle; size: number }> | undefined;

  constructor(
    private readonly path: string | undefined,
    inMemoryLimit = IN_MEMORY_LIMIT,
  ) {
    if (!path) {
      this.mode = 'none';
      return;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (e) {
      throw new ConfigError(`TESSERA_BREACHED_PASSWORDS: cannot read ${path}: ${(e as Error).message}`);
    }
    this.mode = st.isDirectory() ? 'dir' : 'file';
    if (this.mode === 'file' && st.size <= inMemoryLimit) {
      this.small = readFile(path, 'utf8').then((t) => parseLines(t));
    }
  }

  /** True when the password is in the corpus. */
  async has(password: string): Promise<boolean> {
    const hash = sha1(password);
    defaults ??= new Set(DEFAULT_BREACHED.map(sha1));
    if (defaults.has(hash)) return true;
    if (this.mode === 'dir') return this.inRangeFile(hash);
    if (this.mode === 'file') return this.small ? (await this.small).has(hash) : this.search(hash);
    return false;
  }

  private async inRangeFile(hash: string): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(join(this.path!, `${hash.slice(0, 5)}.txt`), 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    const suffix = hash.slice(5);
    for (let i = text.indexOf(suffix); i >= 0; i = text.indexOf(suffix, i + 1)) {
      if (i > 0 && text[i - 1] !== '\n') continue;
      const m = /^:(\d+)/.exec(text.slice(i + suffix.length, i + suffix.length + 16));
      if (m) return Number(m[1]) > 0;
    }
    return false;
  }

  /** Binary search over the lines of a file sorted by hash. */
  private async search(hash: string): Promise<boolean> {
    this.handle ??= open(this.path!, 'r').then(async (fh) => ({ fh, size: (await fh.stat()).size }));
    const { fh, size } = await this.handle;
    const buf = Buffer.alloc(512);
    const readAt = async (pos: number) => {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      return buf.toString('latin1', 0, bytesRead);
    };
    let lo = 0; // always the start of a line
    let hi = size; // no line starting at or after hi can match
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      let start = lo;
      if (mid > lo) {
        const chunk = await readAt(mid - 1);
        const nl = chunk.indexOf('\n');
        if (nl >= 0 && mid + nl < hi) start = mid + nl;
      }
      const text = await readAt(start);
      const nl = text.indexOf('\n');
      const line = (nl >= 0 ? text.slice(0, nl) : text).trim();
      const [h, count] = line.split(':');
      const key = (h ?? '').toUpperCase();
      if (key === hash) return Number(count) > 0;
      if (key < hash) lo = nl >= 0 ? start + nl + 1 : hi;
      else hi = start;
    }
    return false;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await (await h).fh.close();
  }
}

const corpora = new Map<string, BreachedCorpus>();

/**
 * Whether a password is in the breached-password corpus at `path` (the
 * configured TESSERA_BREACHED_PASSWORDS; none: the shipped list), for callers
 * setting a password (`rt.protection.corpus` serves logins).
 */
export function isBreachedPassword(password: string, path?: string): Promise<boolean> {
  let corpus = corpora.get(path ?? '');
  if (!corpus) {
    corpus = new BreachedCorpus(path);
    corpora.set(path ?? '', corpus);
  }
  return corpus.has(password);
}
