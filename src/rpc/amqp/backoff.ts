/** Capped exponential backoff with jitter, for reconnect attempts. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 100 */
  readonly initialDelayMs?: number;
  /** Upper bound of any delay (before jitter). @default 5000 */
  readonly maxDelayMs?: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. @default 0.2 */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 100,
  maxDelayMs: 5000,
  jitter: 0.2,
};

/**
 * The delay before retry number `attempt` (0-based): initial × 2^attempt, capped at max, then jittered.
 * `random` is injectable so the computation is testable.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const exp = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(exp * factor));
}
