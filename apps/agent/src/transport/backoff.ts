export interface BackoffOptions {
  /** Delay cap for the first retry, ms. */
  baseMs: number;
  /** No delay is ever longer than this, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

/**
 * Delay before reconnection attempt number `attempt` (0 for the first retry): exponential, capped, with
 * "equal jitter": a uniform pick in [cap/2, cap]. Jitter spreads a classroom of agents that lost the
 * server at the same moment; keeping half of the cap avoids the near-zero delays of full jitter, which
 * would hammer a server that is just coming back.
 *
 * `random` returns a number in [0, 1), like Math.random; it is a parameter so that tests are exact.
 */
export function backoffDelayMs(
  attempt: number,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  // 2^31 already dwarfs any cap; bounding the exponent keeps the arithmetic finite.
  const n = Number.isNaN(attempt) || attempt <= 0 ? 0 : Math.min(Math.floor(attempt), 31);
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** n);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(cap / 2 + r * (cap / 2));
}
