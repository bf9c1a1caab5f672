import type { LocalErrorKind } from "../codec/codec.ts";
import type { StatScope, StatsStore } from "../stats/stats.ts";
import type { RequestContext, RequestFilter } from "./filter.ts";

export const FAULT_STATS = ["aborts_injected", "delays_injected"] as const;
export type FaultStat = (typeof FAULT_STATS)[number];

/** A listener's fault counters, `listener.<name>.fault.*`: the same names for every protocol. */
export function faultStats(store: StatsStore, listenerName: string): StatScope<FaultStat> {
  return store.scope(`listener.${listenerName}.fault`, FAULT_STATS);
}

/** Whether a fault set for `percentage` (0 to 100) of requests applies to this one: one draw each. */
export function faultFires(percentage: number, random: () => number = Math.random): boolean {
  return random() * 100 < percentage;
}

const KNOWN_KINDS = new Set<LocalErrorKind>(["no_route", "no_cluster", "no_healthy_endpoint", "upstream_failure", "timeout", "rate_limited", "fault_abort", "overflow", "unauthorized"]);

/**
 * Fault injection per route (a meshsim extension for meta protocols): abort answers locally
 * with the configured error kind; delay holds the request before it goes on. Each applies to its
 * percentage of requests, drawn independently, as Envoy's fault filter does.
 */
export function createFaultFilter(stats: StatScope<FaultStat>, random: () => number = Math.random): RequestFilter {
  return {
    name: "fault",
    onRequest(ctx: RequestContext) {
      const fault = ctx.route?.fault;
      if (fault === undefined) return "continue";
      if (fault.abort && faultFires(fault.abort.percentage, random)) {
        stats.inc("aborts_injected");
        ctx.fault = "abort";
        const kind = KNOWN_KINDS.has(fault.abort.errorKind as LocalErrorKind) ? (fault.abort.errorKind as LocalErrorKind) : "fault_abort";
        ctx.reply(kind, fault.abort.message ?? `fault injected: ${fault.abort.errorKind}`);
        return "stop";
      }
      if (fault.delay && faultFires(fault.delay.percentage, random)) {
        stats.inc("delays_injected");
        ctx.fault = "delay";
        setTimeout(resumeUnlessClosed, fault.delay.fixedDelayMs, ctx);
        return "stop";
      }
      return "continue";
    },
  };
}

function resumeUnlessClosed(ctx: RequestContext): void {
  if (!ctx.downstreamClosed) ctx.resume();
}
