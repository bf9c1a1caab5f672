import type { RouteEntry } from "../config/types.ts";

/** How long a request may wait for its response when its route sets no timeout (Envoy's default route timeout). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** The route's timeout; without one, the default. 0 waits for ever (as Envoy). */
export function routeTimeoutMs(route: RouteEntry, defaultMs: number): number {
  return route.timeoutMs ?? defaultMs;
}

/** The local reply's text when the route timeout fires. */
export function routeTimeoutMessage(route: RouteEntry, defaultMs: number): string {
  return route.timeoutMs !== undefined ? `no response within the route timeout of ${route.timeoutMs} ms` : `no response within the default timeout of ${defaultMs} ms`;
}

/** The local reply's text when the last attempt's per-try timeout fires. */
export function perTryTimeoutMessage(perTryMs: number): string {
  return `no response within the per-try timeout of ${perTryMs} ms`;
}

/** Timers call these module functions with their target, so no closure is made per request. */
export interface TimeoutTarget {
  onRouteTimeout(): void;
  onTryTimeout(): void;
}

export function startRouteTimer(target: TimeoutTarget, ms: number): NodeJS.Timeout {
  return setTimeout(fireRouteTimeout, ms, target);
}

export function startTryTimer(target: TimeoutTarget, ms: number): NodeJS.Timeout {
  return setTimeout(fireTryTimeout, ms, target);
}

function fireRouteTimeout(target: TimeoutTarget): void {
  target.onRouteTimeout();
}

function fireTryTimeout(target: TimeoutTarget): void {
  target.onTryTimeout();
}
