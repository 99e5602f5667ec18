import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { HashQueue } from '../login-types/context.js';
import { dummyHashFor, hashProfile, OUR_PROFILE, type VerifyResult, verifyPassword } from './passwords.js';
import { DEFAULTS } from '../config/defaults.js';

/*
 * Timing must not tell which usernames exist, or which users were imported
 * with a slower hash (a bcrypt user's wrong password took 61 ms, an unknown
 * user's 11 ms). Verifying one dummy argon2id hash for an unknown user is not
 * enough once a directory holds slower hashes, so each failed check takes as
 * long as the slowest kind of hash present in that connection:
 *
 * - the profiles present (algorithm and cost, e.g. `bcrypt$12`) come from the
 *   users' hash_profile column, a few index seeks, cached per connection for
 *   a short time and read again in the background; a profile met on a real
 *   verify is added at once;
 * - each profile's cost is measured: at boot (and when first seen) by
 *   verifying a dummy hash of that profile, then by every verification of it,
 *   real or dummy, from the start of the check (user lookup included). The
 *   target of a connection is the 95th percentile of its slowest profile's
 *   samples of the last minute: the slowest kind's own failures mostly land
 *   on it too, so the distributions match, and the target follows the load
 *   (a failure padded to a profile not measured for 5 s measures it again);
 * - an unknown user (or one without a password) verifies a dummy of that
 *   slowest profile, the same work on the same thread pool as the real thing;
 * - every failed check then waits until the target (a wrong password for a
 *   faster hash, a blocked user's wrong password, a corrupt hash).
 * Successes are never padded: a right password costs only its own verify.
 */

/** Samples kept per profile. */
const SAMPLES = 64;
/** The percentile of the slowest profile's samples that failures are padded to. */
const TARGET_PERCENTILE = 0.95;
/** Dummy verifications that measure a profile when it is first seen. */
const CALIBRATION_RUNS = 3;
/** How long a connection's profile list is trusted before it is read again (in the background). */
const PROFILES_TTL_MS = DEFAULTS.admission.profilesTtlMs;
/** A profile without a sample for this long is measured again when its connection is read. */
const RECALIBRATE_MS = DEFAULTS.admission.recalibrateMs;
/** Only samples this recent count (the cost follows the load), or else the latest MIN_SAMPLES. */
const WINDOW_MS = DEFAULTS.admission.sampleWindowMs;
const MIN_SAMPLES = 3;
/**
 * A failure padded to a profile whose newest sample is older than this
 * measures it again in the background (one dummy verification at most this
 * often): when only faster hashes fail, say under load an attacker makes,
 * the target must still follow what the slowest hash costs now.
 */
const FRESH_MS = DEFAULTS.admission.freshSampleMs;

export interface LoginTimingDeps {
  /** The hash profiles of a connection's users (users repo). */
  profilesOf: (connectionId: string) => Promise<string[]>;
  /** A hash of a random password with a profile's parameters (passwords.ts). */
  makeDummy?: (profile: string) => Promise<string>;
  verify?: (stored: string, password: string) => Promise<VerifyResult>;
  /** Runs a login's hash (admission control's queue: identity/admission.ts); calibration does not go through it. */
  gate?: HashQueue;
  /** Monotonic milliseconds. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: Pick<Logger, 'warn'>;
}

interface ProfileCost {
  /** A ring of the latest verification times (ms) and when they were taken. */
  samples: { ms: number; at: number }[];
  next: number;
  sampledAt: number;
  dummy?: Promise<string | undefined>;
  calibrating?: Promise<void>;
}

interface ConnectionProfiles {
  profiles: Set<string>;
  readAt: number;
  reading?: Promise<void>;
}

/** The failure-timing model of one process: create one per runtime. */
export class LoginTiming {
  private readonly costs = new Map<string, ProfileCost>();
  private readonly connections = new Map<string, ConnectionProfiles>();
  private readonly makeDummy: (profile: string) => Promise<string>;
  private readonly verifyHash: (stored: string, password: string) => Promise<VerifyResult>;
  readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: LoginTimingDeps) {
    this.makeDummy = deps.makeDummy ?? dummyHashFor;
    this.verifyHash = deps.verify ?? verifyPassword;
    this.clock = deps.clock ?? (() => performance.now());
    this.sleep = deps.sleep ?? ((ms) => sleep(ms).then(() => undefined));
  }

  /** At boot: reads these connections' profiles and measures each profile (ours always). */
  async prime(connectionIds: string[]): Promise<void> {
    await this.calibrate(OUR_PROFILE);
    for (const id of connectionIds) await this.connection(id);
  }

  /**
   * Starts one password check in a connection: call before looking the user
   * up. Its hash runs through `gate` (the login's admission ticket), or the
   * runtime's queue.
   */
  begin(connectionId: string, gate?: HashQueue): LoginCheck {
    const started = this.clock();
    const read = this.connection(connectionId).then((c) => ({ c, at: this.clock() }));
    return new LoginCheck(this, connectionId, started, read, gate);
  }

  /** The profiles of a connection, read again in the background once stale. */
  connection(connectionId: string): Promise<ConnectionProfiles> {
    let c = this.connections.get(connectionId);
    if (!c) {
      c = { profiles: new Set([OUR_PROFILE]), readAt: -Infinity };
      this.connections.set(connectionId, c);
      const entry = c;
      return this.read(connectionId, entry).then(() => entry);
    }
    if (c.reading && c.readAt === -Infinity) {
      const entry = c;
      return c.reading.then(() => entry);
    }
    if (this.clock() - c.readAt > PROFILES_TTL_MS) void this.read(connectionId, c);
    return Promise.resolve(c);
  }

  private read(connectionId: string, c: ConnectionProfiles): Promise<void> {
    c.reading ??= (async () => {
      try {
        const found = await this.deps.profilesOf(connectionId);
        // Measure a new profile before it counts, so the target never drops to "unmeasured".
        for (const p of found) await this.calibrate(p);
        const now = this.clock();
        for (const p of found) {
          const cost = this.costs.get(p);
          if (cost && now - cost.sampledAt > RECALIBRATE_MS) void this.calibrate(p, true);
        }
        // Ours stays: a new user gets it, and an empty connection still costs an argon2id verify.
        c.profiles = new Set([OUR_PROFILE, ...found]);
        c.readAt = now;
      } catch (err) {
        this.deps.log?.warn({ err, connection_id: connectionId }, 'could not read the hash profiles');
        c.readAt = this.clock(); // keep what we had; try again after the TTL
      } finally {
        c.reading = undefined;
      }
    })();
    return c.reading;
  }

  /** Makes the profile's dummy and measures a few verifications of it (once; again when `again`). */
  calibrate(profile: string, again = false): Promise<void> {
    const cost = this.cost(profile);
    if (cost.calibrating) return cost.calibrating;
    if (cost.samples.length > 0 && !again) return Promise.resolve();
    cost.calibrating = (async () => {
      try {
        const dummy = await this.dummy(profile);
        if (!dummy) return;
        for (let i = 0; i < (again ? 1 : CALIBRATION_RUNS); i++) {
          const t0 = this.clock();
          await this.verifyHash(dummy, 'calibration');
          this.record(profile, this.clock() - t0);
        }
      } catch (err) {
        this.deps.log?.warn({ err, profile }, 'could not measure this hash profile');
      } finally {
        cost.calibrating = undefined;
      }
    })();
    return cost.calibrating;
  }

  /** The profile's dummy hash; undefined when it cannot be made (logged once). */
  dummy(profile: string): Promise<string | undefined> {
    const cost = this.cost(profile);
    cost.dummy ??= this.makeDummy(profile).catch((err) => {
      this.deps.log?.warn({ err, profile }, 'no dummy hash for this hash profile: it cannot be padded to');
      return undefined;
    });
    return cost.dummy;
  }

  record(profile: string, ms: number): void {
    const cost = this.cost(profile);
    const sample = { ms, at: this.clock() };
    if (cost.samples.length < SAMPLES) cost.samples.push(sample);
    else cost.samples[cost.next] = sample;
    cost.next = (cost.next + 1) % SAMPLES;
    cost.sampledAt = sample.at;
  }

  /**
   * The measured cost of a profile: the 95th percentile of its samples of the
   * last minute (or of its latest three); undefined before any sample.
   */
  costOf(profile: string): number | undefined {
    const samples = this.costs.get(profile)?.samples;
    if (!samples?.length) return undefined;
    const since = this.clock() - WINDOW_MS;
    let recent = samples.filter((s) => s.at >= since);
    if (recent.length < MIN_SAMPLES) recent = [...samples].sort((a, b) => b.at - a.at).slice(0, MIN_SAMPLES);
    const sorted = recent.map((s) => s.ms).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(TARGET_PERCENTILE * sorted.length) - 1)];
  }

  /** Measures a profile again in the background when its newest sample is old. */
  keepFresh(profile: string): void {
    const cost = this.costs.get(profile);
    if (cost && this.clock() - cost.sampledAt > FRESH_MS) void this.calibrate(profile, true);
  }

  /** The connection's slowest measured profile and its cost. */
  slowest(c: ConnectionProfiles): { profile: string; ms: number } {
    let best = { profile: OUR_PROFILE, ms: this.costOf(OUR_PROFILE) ?? 0 };
    for (const p of c.profiles) {
      const ms = this.costOf(p);
      if (ms !== undefined && ms > best.ms) best = { profile: p, ms };
    }
    return best;
  }

  /** A profile met on a real verification counts for its connection at once. */
  learn(c: ConnectionProfiles, profile: string): void {
    if (c.profiles.has(profile)) return;
    c.profiles = new Set([...c.profiles, profile]);
    void this.dummy(profile);
  }

  /** Verifies through `gate` (a login's place in admission control; by default the runtime's). */
  verifyFor(
    stored: string,
    password: string,
    gate: HashQueue | undefined = this.deps.gate,
  ): Promise<VerifyResult> {
    return gate ? gate(() => this.verifyHash(stored, password)) : this.verifyHash(stored, password);
  }

  wait(ms: number): Promise<void> {
    return this.sleep(ms);
  }

  private cost(profile: string): ProfileCost {
    let cost = this.costs.get(profile);
    if (!cost) {
      cost = { samples: [], next: 0, sampledAt: -Infinity };
      this.costs.set(profile, cost);
    }
    return cost;
  }
}

/** One password check: verify, and on failure take as long as the connection's slowest hash. */
export class LoginCheck {
  constructor(
    private readonly timing: LoginTiming,
    readonly connectionId: string,
    private readonly started: number,
    /** The connection's profiles, and when they were at hand. */
    private readonly profiles: Promise<{ c: ConnectionProfiles; at: number }>,
    /** Where the hash waits its turn; undefined: the runtime's queue. */
    private readonly gate?: HashQueue,
  ) {}

  /**
   * Verifies the password against the user's hash, or against a dummy of the
   * connection's slowest profile when there is no user or no hash (never ok).
   * A failure returns only once the connection's target has passed.
   */
  async verify(stored: string | null | undefined, password: string): Promise<VerifyResult> {
    const t = this.timing;
    const { c, at } = await this.profiles;
    // A sample is the check's own cost (user lookup included), not the wait for a first read.
    const from = Math.max(this.started, at);
    let result: VerifyResult = { ok: false, needsRehash: false };
    if (stored) {
      result = await t.verifyFor(stored, password, this.gate);
      const profile = hashProfile(stored);
      if (profile) {
        t.record(profile, t.clock() - from);
        t.learn(c, profile);
      }
    } else {
      const { profile } = t.slowest(c);
      const dummy = await t.dummy(profile);
      if (dummy) {
        await t.verifyFor(dummy, password, this.gate);
        t.record(profile, t.clock() - from);
      }
    }
    if (!result.ok) await this.pad(c);
    return result;
  }

  private async pad(c: ConnectionProfiles): Promise<void> {
    const t = this.timing;
    const slowest = t.slowest(c);
    t.keepFresh(slowest.profile);
    const left = slowest.ms - (t.clock() - this.started);
    if (left > 0) await t.wait(left);
  }
}
