import type { FieldPath } from "../../../common/yaml-source.ts";
import { closest } from "../suggest.ts";
import { DEFAULTS, type ConnectionsSpec, type ExecutorSpec, type TrafficSpec } from "../types.ts";
import { parseRate } from "../units.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "../../protocols/registry.ts";
import type { RawTraffic } from "./raw-shape.ts";
import type { TopologyContext } from "./context.ts";

/** Traffic specs: who sends what, how fast, for how long. */
export function trafficNormalizers(ctx: TopologyContext) {
  const { problem, duration, clients, services } = ctx;
  function normalizeTraffic(t: RawTraffic, path: FieldPath): TrafficSpec | undefined {
    const client = clients.find((c) => c.name === t.from);
    if (!client) {
      const names = clients.map((c) => c.name);
      const guess = closest(t.from, names);
      problem([...path, "from"], `no client named "${t.from}" in topology.clients${guess ? `; did you mean "${guess}"?` : names.length ? ` (clients: ${names.join(", ")})` : " (declare it there)"}`);
    }
    const candidates = services.filter((s) => s.name === t.to || `${s.name}.${s.namespace}` === t.to || s.host === t.to);
    const service = candidates[0];
    if (!service) {
      const guess = closest(
        t.to,
        services.map((s) => s.name),
      );
      problem([...path, "to"], `no service named "${t.to}" in topology.services${guess ? `; did you mean "${guess}"?` : ` (services: ${services.map((s) => s.name).join(", ")})`}`);
    } else if (candidates.length > 1) {
      problem([...path, "to"], `"${t.to}" matches services in several namespaces; write it as <name>.<namespace>`);
    }
    if (client && service && client.protocol !== service.protocol) {
      problem([...path, "from"], `client ${client.name} speaks ${client.protocol} but service ${service.name} speaks ${service.protocol}`);
    }

    const e = t.executor;
    const ePath = [...path, "executor"];
    const count = e.count;
    const durationMs = e.duration !== undefined ? duration([...ePath, "duration"], e.duration, 0) : undefined;
    if (count === undefined && durationMs === undefined) problem(ePath, "add count or duration so the step ends");
    const bounds = { ...(count !== undefined ? { count } : {}), ...(durationMs !== undefined ? { durationMs } : {}) };
    let executor: ExecutorSpec;
    if (e.type === "constant-arrival-rate") {
      if (e.concurrency !== undefined) problem([...ePath, "concurrency"], "concurrency applies to constant-concurrency; constant-arrival-rate sends at `rate` regardless of responses");
      let ratePerSecond = 1;
      if (e.rate === undefined) problem(ePath, 'constant-arrival-rate needs a rate, e.g. rate: "500/s"');
      else {
        try {
          ratePerSecond = parseRate(e.rate);
        } catch (err) {
          problem([...ePath, "rate"], (err as Error).message);
        }
      }
      executor = { type: e.type, ratePerSecond, ...bounds };
    } else {
      if (e.rate !== undefined) problem([...ePath, "rate"], "rate applies to constant-arrival-rate; constant-concurrency keeps `concurrency` requests in flight");
      if (e.concurrency === undefined) problem(ePath, "constant-concurrency needs concurrency, e.g. concurrency: 8");
      executor = { type: e.type, concurrency: e.concurrency ?? 1, ...bounds };
    }

    const mode = t.connections?.mode ?? DEFAULTS.connections.mode;
    if (mode === "per-request" && t.connections?.size !== undefined) {
      problem([...path, "connections", "size"], "size does not apply to per-request connections (each request opens its own)");
    }
    const connections: ConnectionsSpec = { mode, size: mode === "per-request" ? 1 : (t.connections?.size ?? DEFAULTS.connections.size) };

    if (t.keys !== undefined && service && !simulatorProtocol(service.protocol).keyed) {
      problem(
        [...path, "keys"],
        `keys are sent as a request header, and ${service.protocol} calls carry none here (protocols with headers: ${PROTOCOL_NAMES.filter((p) => simulatorProtocol(p).keyed).join(", ")})`,
      );
    }
    if (!service) return undefined;
    return {
      from: t.from,
      to: service.name,
      service,
      ...(t.call ? { call: { method: t.call.method, args: t.call.args ?? [], headers: t.call.headers ?? {} } } : {}),
      ...(t.keys !== undefined ? { keys: t.keys } : {}),
      executor,
      connections,
      timeoutMs: duration([...path, "timeout"], t.timeout, DEFAULTS.requestTimeoutMs),
    };
  }

  return { normalizeTraffic };
}
