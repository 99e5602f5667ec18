import { availableParallelism } from 'node:os';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Every default of Tessera in one place (oidc-provider's `lib/helpers/defaults.js`
 * is the model): the server settings' defaults, and the lifetimes, windows and
 * limits the modules use. Units are in the names (`Ms`, `S`, `Bytes`, `Mb`);
 * Auth0's own field names (`token_lifetime`, `max_attempts`…) are in seconds or
 * milliseconds as Auth0 has them. Modules read these instead of literals of
 * their own. README.md lists them (the Configuration tables and "Defaults"),
 * and `test/config/defaults.test.ts` fails when the README and this object
 * disagree.
 */
const defaults = {
  /** The server settings: what `loadConfig` (config.ts) uses when a variable is not set. */
  settings: {
    dataDir: '.tessera',
    host: '0.0.0.0',
    port: 3000,
    logLevel: 'info',
    /** Largest accepted request body, bytes. */
    bodyLimit: 64 * 1024,
    smtpFrom: 'Tessera <no-reply@localhost>',
    redisPrefix: 'tessera:',
    /** TESSERA_REFRESH_RETRY_WINDOW, s. */
    refreshRetryWindowSec: 30,
    /** TESSERA_CLOCK_SKEW, s. */
    clockSkewSec: 60,
    dbConnectTimeoutMs: 2_000,
    dbAcquireTimeoutMs: 2_000,
    dbStatementTimeoutMs: 5_000,
    /** PostgreSQL: the hot queries as named prepared statements (TESSERA_DB_PREPARED_STATEMENTS). */
    dbPreparedStatements: true,
    requestTimeoutMs: 10_000,
    /** Admission control: a password login not expected to be answered within this (from its arrival) is refused (503); 0: off. */
    admissionBudgetMs: 1_000,
    /**
     * How many nice levels below the event loop the process's other threads
     * run (the hash pool, V8's helpers), so that the loop's short work never
     * waits behind a hash for a core; 0: the same priority.
     */
    helperThreadsNice: 10,
    redisCommandTimeoutMs: 500,
    redisConnectTimeoutMs: 1_000,
    /** The Retry-After of every 503 (outages, shutting down), s. */
    retryAfterSeconds: 5,
    logRetentionDays: 30,
    purgeIntervalMinutes: 60,
  },

  /** Token lifetimes when the tenant sets none (Auth0's). */
  tokens: {
    /** An access token, when its API has no `token_lifetime`, s (24 h). */
    accessTokenLifetimeS: 86_400,
    /** An ID token, when its client has no `jwt_configuration.lifetime_in_seconds`, s (10 h). */
    idTokenLifetimeS: 36_000,
    /** An access token for the built-in MFA API (`<issuer>mfa/`), s (10 minutes). */
    mfaApiLifetimeS: 600,
    /** An access token for the built-in Management API (`<issuer>api/v2/`), s (24 h, as Auth0's). */
    managementApiLifetimeS: 86_400,
  },

  /** Refresh tokens. */
  refreshTokens: {
    /** A client's `refresh_token` settings when it has none (Auth0's names and units: seconds). */
    client: {
      leeway: 0,
      /** Absolute lifetime: 30 days. */
      token_lifetime: 2_592_000,
      /** Idle lifetime: 15 days. */
      idle_token_lifetime: 1_296_000,
    },
    /** A non-rotating token's idle expiry is slid at most once per this interval. */
    idleSlideMs: MINUTE,
  },

  /** Signing keys. */
  keys: {
    /** How long a node trusts its copy of the keys before reading them again (a rotation elsewhere shows within it). */
    reloadMs: 5 * SECOND,
    /** Between publishing a new key and signing with it: twice the JWKS cache time (300 s), s. */
    rotationDelayS: 600,
  },

  /** MFA lifetimes and limits (spec section 5). */
  mfa: {
    /** An `mfa_token`. */
    tokenTtlMs: 10 * MINUTE,
    /** An out-of-band (SMS, email) challenge. */
    oobTtlMs: 5 * MINUTE,
    /** The `interval` a client polls an out-of-band challenge at. */
    pollIntervalMs: 5 * SECOND,
    /** Failed verifications a user may make in a row… */
    bucketCapacity: 10,
    /** …and one more back every this long. */
    bucketRefillMs: 6 * MINUTE,
    /** SMS and email codes: at most one per user in this interval (any login), so a script cannot flood a phone. */
    sendIntervalMs: 30 * SECOND,
    /** ... and at most this many per mfa_token. */
    sendsPerToken: 5,
  },

  /** The rules and actions sandbox (RulesLimits in rules/types.ts documents each limit). */
  rules: {
    limits: {
      scriptTimeoutMs: 5_000,
      loginTimeoutMs: 10_000,
      memoryLimitMb: 32,
      isolates: 16,
      warmIsolates: 2,
      idleIsolateMs: 30_000,
      // Legitimate scripts use a few ms; the margin is for a loaded machine,
      // where a running script's CPU time grows while its thread waits for a core.
      fastCpuMs: 100,
      // Half the cores at most go to scripts that run long on the CPU: the
      // other half keeps serving logins (argon2, HTTP, the fast path).
      busyLogins: Math.max(1, Math.floor(availableParallelism() / 2)),
      strikeMs: 60_000,
      struckCpuMs: 25,
      slowMs: 1_000,
      slowLogins: 8,
      // Legitimate scripts take a tenth of a ms; a script past this moves off the event loop for good.
      loopSliceMs: 5,
      fetchTimeoutMs: 5_000,
      fetchMaxBytes: 1024 * 1024,
      maxClaims: 100,
      maxClaimsBytes: 16 * 1024,
      maxScopes: 100,
      maxScopeChars: 4096,
      maxMessageChars: 500,
      maxResultChars: 1024 * 1024,
    },
    /** Compiled scripts kept per isolate; past this many, the cache drops the least recently used. */
    cachedScripts: 256,
    /**
     * Fresh contexts (prelude run, never used) kept ready per isolate: a
     * login takes one for all of its scripts, and one more only when a run
     * is made again off the event loop (each holds about 0.2 MB of the
     * isolate's heap).
     */
    warmContexts: 2,
    /** How often the sandbox's threads, started when first needed, are lowered as the hash pool is, ms (cli/helper-threads.ts). */
    threadsNiceCheckMs: 1_000,
    /** How long a script version moved off the event loop stays off it, ms (loop-runs.ts). */
    loopOffMs: 60_000,
    /** Users with a strike remembered at once; past it the oldest are forgotten first. */
    struckUsers: 10_000,
    /** How often a lease past its first fastCpuMs is checked. */
    watchEveryMs: 10,
    /** `Intl` objects one script may make. */
    intlObjects: 100,
  },

  /** Attack protection. */
  protection: {
    /** Auth0's tenant defaults: brute force and suspicious IP throttling on, breached passwords off. */
    tenant: {
      bruteForce: {
        enabled: true,
        mode: 'count_per_identifier_and_ip',
        maxAttempts: 10,
        shields: ['block', 'user_notification'],
      },
      ipThrottling: {
        enabled: true,
        maxAttempts: 100,
        /** One attempt regained every 864 s: 100 a day. */
        rateMs: 864_000,
        shields: ['block', 'admin_notification'],
      },
      breached: { enabled: false, shields: ['block'] },
    },
    /** Sign-ups per IP (`pre-user-registration` stage): 50, one back every 1.2 s (50 a minute). */
    signupStage: { maxAttempts: 50, rateMs: 1_200 },
    /** Password-reset requests. */
    reset: {
      /** Emails to one address: 3, then one every 20 minutes. */
      perAddress: { capacity: 3, rateMs: 20 * MINUTE },
      /** Requests from one IP: 20, then one every 30 seconds. */
      perIp: { capacity: 20, rateMs: 30 * SECOND },
    },
    /** The bits of an IPv6 address counted as one attacker: a /64 is what one customer line gets. */
    ipv6PrefixLength: 64,
    /** Failed attempts older than this are forgotten, s (kept under setTimeout's 24.8-day limit). */
    attemptsWindowS: 7 * 24 * 3600,
    /** How long an attempt waits for attempts in flight to free the limit before it is refused. */
    maxWaitMs: 3 * SECOND,
    /** The Retry-After of a brute-force refusal, s: a block lasts until lifted; an hour is when asking again is reasonable. */
    blockedRetryAfterS: 3_600,
    /** How long a block read from the database is believed before it is read again (a lift elsewhere shows within this). */
    blockConfirmMs: 5 * SECOND,
    /** How often blocks written by other processes are fetched. */
    blockRefreshMs: 5 * SECOND,
    /** How often the in-memory blocks are swept of expired ones. */
    blockPurgeMs: HOUR,
    /** Reconnecting after a Redis outage waits at most this long between tries. */
    redisReconnectMaxMs: 250,
    /** A breached-password corpus file up to this size is read into memory; a larger one is searched in place. */
    breachedInMemoryBytes: 16 * 1024 * 1024,
  },

  /** Links sent by email. */
  tickets: {
    /** An unblock link (brute-force block). */
    unblockTtlMs: DAY,
    /** Reset and verification links when the email template sets no `urlLifetimeInSeconds`, s (Auth0's: 5 days). */
    accountLinkLifetimeS: 432_000,
    /** Used or expired reset and verification tickets are kept this long, then purged. */
    keepExpiredMs: 30 * DAY,
  },

  /** In-process caches. */
  caches: {
    /** Tenant configuration (clients, connections, APIs, settings) written by another process shows within this. */
    configTtlMs: 5 * SECOND,
    /** Prepared SQLite statements kept; past this many, the least recently used is dropped. */
    sqliteStatements: 1_000,
  },

  /** Admission control and login timing (see settings.admissionBudgetMs for the budget). */
  admission: {
    /** A hash's cost before any was measured (about argon2id's with our parameters on one core). */
    initialHashCostMs: 50,
    /**
     * The queue admitted is sized at the hash cost's mean plus this many mean
     * deviations (Jacobson/Karels, as TCP's retransmission timeout): the slow
     * end of the hash times, so that few served logins take longer than the budget.
     */
    hashCostDeviations: 2,
    /** How long a connection's hash-profile list is trusted before it is read again (in the background). */
    profilesTtlMs: 30 * SECOND,
    /** A hash profile without a sample for this long is measured again when its connection is read. */
    recalibrateMs: 10 * MINUTE,
    /** Only hash samples this recent count (the cost follows the load). */
    sampleWindowMs: MINUTE,
    /** A failure padded to a profile whose newest sample is older than this measures it again. */
    freshSampleMs: 5 * SECOND,
  },

  /** Retention and purging. */
  retention: {
    /** Expired security state is deleted this long after it ended (clocks may differ; incidents need yesterday's rows). */
    expiredGraceMs: DAY,
    /** Rows per DELETE statement. */
    purgeBatchSize: 1_000,
    /** The Retry-After when the audit log cannot be written, s. */
    auditRetryAfterS: 30,
  },

  /** The Management API (Auth0's). */
  management: {
    /** Per client: 50 requests in a burst, 15 a second after. */
    rateLimit: { capacity: 50, perSecond: 15 },
    /** `per_page` when none is given. */
    perPage: 50,
    /** The largest `per_page`. */
    maxPerPage: 100,
  },

  /** Outgoing calls. */
  outbound: {
    /** How long the SMS gateway may take to accept a message. */
    smsWebhookTimeoutMs: 5 * SECOND,
    /** PostgreSQL: the client waits this much longer than statement_timeout, so the server's own cancel comes first. */
    pgClientGraceMs: 500,
  },
} as const;

/** Every default of Tessera (see `defaults` above), read-only. */
export const DEFAULTS: Defaults = defaults;

/** The defaults' type: read-only all the way down, numbers and booleans as such (not their literal values). */
export type Defaults = Widen<typeof defaults>;
type Widen<T> = T extends number
  ? number
  : T extends boolean
    ? boolean
    : T extends string
      ? T
      : T extends readonly (infer U)[]
        ? readonly Widen<U>[]
        : { readonly [K in keyof T]: Widen<T[K]> };
