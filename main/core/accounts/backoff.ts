// Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"):
// a random delay in [0, min(cap, base · 2^attempt)]. The randomness spreads the reconnects of many
// clients after a server restart instead of having them all hit it on the same second.
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 5 * 60_000;
/** A connection that stayed up this long counts as healthy: the next drop starts from attempt 0. */
export const STABLE_AFTER_MS = 60_000;

export function backoffCeiling(attempt: number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  // Clamp the exponent so 2^attempt never overflows into Infinity/NaN on long outages.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

export function backoffDelay(attempt: number, random: () => number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  return Math.floor(random() * backoffCeiling(attempt, baseMs, capMs));
}
