import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.ts";

/** At most `points` within `durationSec` seconds, counted from the first one. */
export interface LimitRule {
  points: number;
  durationSec: number;
}

/**
 * What is counted where. Sign-in and per-address enrollment count only failures, so a classroom signing in
 * together, a test suite signing in hundreds of times, or the simulator enrolling thousands of devices from one
 * address never meets them; guessing passwords or tokens does.
 */
export interface RateLimitRules {
  /** Failed sign-ins per account identifier (username or e-mail) and client address: the lockout people meet. */
  signInAccountIp: LimitRule;
  /**
   * Failed sign-ins per account identifier from any address, higher: it stops guessing spread over many
   * addresses, while a classmate at one machine cannot lock an instructor out of every other machine.
   */
  signInAccount: LimitRule;
  /** Failed sign-ins per client address, for any accounts. A lab behind one NAT address shares it. */
  signInIp: LimitRule;
  /** Refused enrollments (unknown, expired, revoked or used-up tokens, bad bodies) per client address. */
  enrollIp: LimitRule;
  /**
   * Refused enrollments per token, from any address: a revoked, expired or used-up token (one left on a
   * printed sheet) cannot be hammered from many addresses. Successful uses are bounded by the token's maxUses.
   */
  enrollToken: LimitRule;
  /** Model uploads started per user. */
  upload: LimitRule;
}

export type LimitName = keyof RateLimitRules;

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitRules> = Object.freeze({
  signInAccountIp: { points: 5, durationSec: 15 * 60 },
  signInAccount: { points: 50, durationSec: 15 * 60 },
  signInIp: { points: 20, durationSec: 15 * 60 },
  enrollIp: { points: 30, durationSec: 15 * 60 },
  enrollToken: { points: 20, durationSec: 15 * 60 },
  upload: { points: 30, durationSec: 60 * 60 },
});

/** Builds one limiter per rule: where the counters live. */
export type LimiterStore = (name: LimitName, rule: LimitRule) => RateLimiterAbstract;

/** Counters in this process's memory: right for a single control-plane process, lost on restart. */
export function memoryStore(): LimiterStore {
  return (name, rule) =>
    new RateLimiterMemory({ keyPrefix: `lf:${name}`, points: rule.points, duration: rule.durationSec });
}

/**
 * Counters in Redis, shared by every control-plane process. `client` is a connected node-redis (v4 or later)
 * client, created with `disableOfflineQueue: true` so a call fails at once while Redis is down. Then each process
 * falls back to its own memory counters (the insurance limiter) instead of refusing everyone or letting
 * everyone through.
 */
export function redisStore(client: unknown): LimiterStore {
  const fallback = memoryStore();
  return (name, rule) =>
    new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      keyPrefix: `lf:${name}`,
      points: rule.points,
      duration: rule.durationSec,
      insuranceLimiter: fallback(name, rule),
    });
}

/** Redis when a client is given (REDIS_URL set), otherwise memory: a single process needs no Redis at all. */
export function rateLimitStore(options: { redis?: unknown } = {}): LimiterStore {
  return options.redis ? redisStore(options.redis) : memoryStore();
}

/** A request refused by a limit: HTTP 429, code RATE_LIMITED, and how long to wait. */
export class RateLimitedError extends AppError {
  readonly retryAfterSec: number;
  constructor(message: string, retryAfterSec: number) {
    super("RATE_LIMITED", message);
    this.retryAfterSec = retryAfterSec;
  }
}

export function isRateLimited(e: unknown): e is RateLimitedError {
  return e instanceof RateLimitedError;
}

/** "N minutes" (at least one): what people read, rounded up so that trying at that time works. */
export function waitText(retryAfterSec: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSec / 60));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

export interface RateLimitsOptions {
  store?: LimiterStore;
  rules?: Partial<RateLimitRules>;
  /**
   * LABFLEET_TRUST_PROXY: the server sits behind a reverse proxy that sets X-Forwarded-For. Only then is the
   * header believed; otherwise any client could pick a fresh address for every guess.
   */
  trustProxy?: boolean;
}

/** The control plane's limits: sign-in, enrollment and uploads. One instance per process, shared by all routes. */
export class RateLimits {
  readonly trustProxy: boolean;
  readonly rules: Readonly<RateLimitRules>;
  private readonly limiters: Map<LimitName, RateLimiterAbstract>;

  constructor(options: RateLimitsOptions = {}) {
    this.trustProxy = options.trustProxy ?? false;
    this.rules = Object.freeze({ ...DEFAULT_RATE_LIMITS, ...options.rules });
    const store = options.store ?? memoryStore();
    this.limiters = new Map(
      (Object.keys(this.rules) as LimitName[]).map((name) => [name, store(name, this.rules[name])]),
    );
  }

  private limiter(name: LimitName): RateLimiterAbstract {
    const limiter = this.limiters.get(name);
    if (!limiter) throw new Error(`no limiter ${name}`);
    return limiter;
  }

  /** The client's address: the socket's peer, or with trustProxy the first X-Forwarded-For hop. */
  clientIp(req: IncomingMessage): string {
    return clientIp(req, this.trustProxy);
  }

  /** Seconds to wait when `key` has used up `name`, without counting this request; null when it may go on. */
  async blockedFor(name: LimitName, key: string): Promise<number | null> {
    const res = await this.limiter(name).get(key);
    if (!res || res.consumedPoints < this.rules[name].points) return null;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Counts a failure against `key` (never refuses by itself: the next blockedFor does). */
  async fail(name: LimitName, key: string): Promise<void> {
    await this.limiter(name).penalty(key, 1);
  }

  /** Forgets `key`'s count, e.g. an account's failures after it signs in. */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.limiter(name).delete(key);
  }

  /** Counts this request against `key`; seconds to wait when it is over the limit, null when it may go on. */
  async hit(name: LimitName, key: string): Promise<number | null> {
    try {
      await this.limiter(name).consume(key, 1);
      return null;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw e;
    }
  }
}

/** The client's address: the socket's peer, or with trustProxy the first X-Forwarded-For hop when it is an IP. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const first = (Array.isArray(header) ? header[0] : header)?.split(",")[0]?.trim();
    if (first && isIP(first)) return first;
  }
  return req.socket.remoteAddress ?? "unknown";
}

let shared: RateLimits | null = null;

/**
 * The process's limits when a caller configures none: memory counters, no proxy trusted. Sign-in, enrollment and
 * uploads share it, so a control plane is never without limits, in any NODE_ENV.
 */
export function sharedRateLimits(): RateLimits {
  shared ??= new RateLimits();
  return shared;
}
