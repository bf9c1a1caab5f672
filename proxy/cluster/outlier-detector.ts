import type { ClusterConfig } from "../config/types.ts";

export interface OutlierState {
  consecutiveErrors: number;
  ejectedUntil: number;
  ejections: number;
}

export function newOutlierState(): OutlierState {
  return { consecutiveErrors: 0, ejectedUntil: 0, ejections: 0 };
}

/**
 * Consecutive-error outlier detection (Envoy's consecutive_5xx / consecutive_gateway_failure for
 * meta protocols: connect failures, resets, timeouts and error replies count). An endpoint that
 * reaches the threshold is ejected for baseEjectionTime × number of ejections so far, unless that
 * would eject more than maxEjectionPercent of the cluster.
 */
export class OutlierDetector {
  constructor(private readonly config: NonNullable<ClusterConfig["outlierDetection"]>) {}

  /** Returns true when this result ejected the endpoint. */
  record(state: OutlierState, ok: boolean, now: number, ejectedCount: number, total: number): boolean {
    if (ok) {
      state.consecutiveErrors = 0;
      return false;
    }
    state.consecutiveErrors++;
    if (state.consecutiveErrors < this.config.consecutiveErrors || now < state.ejectedUntil) return false;
    if (total === 0 || ((ejectedCount + 1) / total) * 100 > this.config.maxEjectionPercent) return false;
    state.ejections++;
    state.ejectedUntil = now + this.config.baseEjectionTimeMs * state.ejections;
    state.consecutiveErrors = 0;
    return true;
  }
}

export function isEjected(state: OutlierState, now: number): boolean {
  return state.ejectedUntil > now;
}
