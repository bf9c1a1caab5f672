import type { TokenBucket as TokenBucketConfig } from "../config/types.ts";

/**
 * Envoy's local rate limit bucket: starts full, gains `tokensPerFill` every `fillIntervalMs` up to
 * `maxTokens`. Refilled lazily on each take, so an idle bucket costs nothing.
 */
export class TokenBucket {
  private tokens: number;
  private lastFill: number;

  constructor(
    private readonly config: TokenBucketConfig,
    now = Date.now(),
  ) {
    this.tokens = config.maxTokens;
    this.lastFill = now;
  }

  tryTake(now = Date.now()): boolean {
    const intervals = Math.floor((now - this.lastFill) / this.config.fillIntervalMs);
    if (intervals > 0) {
      this.tokens = Math.min(this.config.maxTokens, this.tokens + intervals * this.config.tokensPerFill);
      this.lastFill += intervals * this.config.fillIntervalMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
