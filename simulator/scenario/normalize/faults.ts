import type { FieldPath } from "../../../common/yaml-source.ts";
import { closest } from "../suggest.ts";
import type { FaultSpec, LinkSpec, NetworkFault } from "../types.ts";
import { parseBandwidth } from "../units.ts";
import type { RawFault } from "./raw-shape.ts";
import type { TopologyContext } from "./context.ts";

import type { metricNormalizers } from "./metric.ts";

/** Faults (kill, restart, pause, network) and the links they cut or slow. */
export function faultNormalizers(ctx: TopologyContext & ReturnType<typeof metricNormalizers>) {
  const { problem, duration, clients, instances, allInstances, instanceFaultRefusal, sidecarClients, checkInstance } = ctx;
  function normalizeFault(f: RawFault, path: FieldPath): FaultSpec | undefined {
    const kinds = (["kill", "restart", "pause", "unpause", "network"] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      problem(path, `a fault is exactly one of kill, restart, pause, unpause, network${kinds.length ? ` (found ${kinds.join(", ")})` : ""}`);
      return undefined;
    }
    if (f.signal !== undefined && f.kill === undefined) problem([...path, "signal"], "signal applies to kill");
    if (f.kill !== undefined) {
      checkInstance(f.kill, [...path, "kill"]);
      return { kind: "kill", instance: f.kill, signal: f.signal ?? "SIGKILL" };
    }
    if (f.restart !== undefined) {
      checkInstance(f.restart, [...path, "restart"]);
      return { kind: "restart", instance: f.restart };
    }
    for (const kind of ["pause", "unpause"] as const) {
      const instance = f[kind];
      if (instance === undefined) continue;
      checkInstance(instance, [...path, kind]);
      const refusal = instanceFaultRefusal(instance, kind);
      if (refusal) problem([...path, kind], refusal);
      return { kind, instance };
    }
    const n = f.network!;
    const nPath = [...path, "network"];
    const link = normalizeLink(n.link, [...nPath, "link"]);
    const effects = (["latency", "reset", "blackhole", "bandwidth", "slice"] as const).filter((k) => n[k] !== undefined);
    if (n.clear && effects.length > 0) problem([...nPath, "clear"], `clear switches the link back to clean; drop ${effects.join(", ")} or clear`);
    if (!n.clear && effects.length === 0) problem(nPath, "name at least one of latency, reset, blackhole, bandwidth, slice (or clear: true)");
    if (!link) return undefined;
    const refusal = link.kind === "upstream" ? link.instances.map((i) => instanceFaultRefusal(i, "network")).find((r) => r !== undefined) : undefined;
    if (refusal) problem([...nPath, "link", "to"], refusal);
    if (n.clear) return { kind: "network", link, fault: null };
    const fault: NetworkFault = {};
    if (n.latency) {
      fault.latency = {
        delayMs: duration([...nPath, "latency", "delay"], n.latency.delay, 0),
        jitterMs: duration([...nPath, "latency", "jitter"], n.latency.jitter, 0),
        probability: n.latency.probability ?? 1,
      };
    }
    if (n.reset) fault.reset = { probability: n.reset.probability ?? 1 };
    if (n.blackhole) fault.blackhole = { probability: n.blackhole.probability ?? 1 };
    if (n.bandwidth) {
      let bytesPerSecond = 1;
      try {
        bytesPerSecond = parseBandwidth(n.bandwidth.rate);
      } catch (err) {
        problem([...nPath, "bandwidth", "rate"], (err as Error).message);
      }
      fault.bandwidth = { bytesPerSecond, probability: n.bandwidth.probability ?? 1 };
    }
    if (n.slice) fault.slice = { bytes: n.slice.bytes, delayMs: duration([...nPath, "slice", "delay"], n.slice.delay, 0), probability: n.slice.probability ?? 1 };
    return { kind: "network", link, fault };
  }

  function normalizeLink(l: { from?: string; to: string }, path: FieldPath): LinkSpec | undefined {
    if (l.to === "sidecar") {
      if (l.from === undefined || !sidecarClients.includes(l.from)) {
        problem([...path, "from"], `to: sidecar is the hop from a client to its own sidecar; from must name a client with a sidecar (${sidecarClients.join(", ") || "none declared"})`);
        return undefined;
      }
      return { kind: "client", client: l.from };
    }
    if (l.from !== undefined && !clients.some((c) => c.name === l.from) && l.from !== "sidecar") {
      problem([...path, "from"], `no client named "${l.from}" (clients: ${clients.map((c) => c.name).join(", ")}); the hop into a service is shared by every caller, so from may be left out`);
    }
    const service = instances.get(l.to);
    if (service) return { kind: "upstream", target: l.to, instances: service };
    if (allInstances.includes(l.to)) return { kind: "upstream", target: l.to, instances: [l.to] };
    const guess = closest(l.to, [...instances.keys(), ...allInstances, "sidecar"]);
    problem([...path, "to"], `"${l.to}" is not a service, an instance or "sidecar"${guess ? `; did you mean "${guess}"?` : ""}`);
    return undefined;
  }

  return { normalizeFault };
}
