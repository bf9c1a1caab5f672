import type { FieldPath } from "../../../common/yaml-source.ts";
import { findSimulatorProtocol } from "../../protocols/registry.ts";
import { closest } from "../suggest.ts";
import type { MetricCondition } from "../types.ts";
import type { RawMetric } from "./raw-shape.ts";
import type { TopologyContext } from "./context.ts";

/** Metric conditions and instance names, checked against the topology. */
export function metricNormalizers(ctx: TopologyContext) {
  const { problem, services, instances, allInstances, sidecarClients } = ctx;
  function normalizeMetric(m: RawMetric, path: FieldPath): MetricCondition {
    const base = { name: m.name, op: m.op, value: m.value, delta: m.delta ?? false };
    if ((m.service === undefined) === (m.sidecar === undefined)) {
      problem(path, "a metric reads exactly one of sidecar (a client's proxy counters) and service (what the service's instances counted themselves)");
      return { sidecar: m.sidecar ?? "", ...base };
    }
    if (m.service !== undefined) {
      const service = services.find((s) => s.name === m.service);
      if (!service) {
        const guess = closest(
          m.service,
          services.map((s) => s.name),
        );
        problem([...path, "service"], `no service named "${m.service}"${guess ? `; did you mean "${guess}"?` : ""}`);
      } else if (m.version !== undefined && !(m.version in service.versions)) {
        problem([...path, "version"], `service ${m.service} has no version "${m.version}" (versions: ${Object.keys(service.versions).join(", ")})`);
      } else {
        const refusal = findSimulatorProtocol(service.protocol)?.scenario?.serviceMetrics;
        if (refusal) problem([...path, "service"], refusal);
      }
      if (m.instance !== undefined && service && !(instances.get(service.name) ?? []).includes(m.instance)) {
        problem([...path, "instance"], `service ${m.service} has no instance "${m.instance}" (instances: ${(instances.get(service.name) ?? []).join(", ")})`);
      }
      return { service: m.service, ...(m.version !== undefined ? { version: m.version } : {}), ...(m.instance !== undefined ? { instance: m.instance } : {}), ...base };
    }
    if (m.version !== undefined) problem([...path, "version"], "version narrows a service: set service too");
    if (m.instance !== undefined) problem([...path, "instance"], "instance narrows a service: set service too");
    const sidecar = m.sidecar ?? "";
    if (!sidecarClients.includes(sidecar)) {
      const guess = closest(sidecar, sidecarClients);
      problem(
        [...path, "sidecar"],
        `no client named "${sidecar}" with a sidecar${guess ? `; did you mean "${guess}"?` : sidecarClients.length ? ` (clients with sidecars: ${sidecarClients.join(", ")})` : ""}`,
      );
    }
    return { sidecar, ...base };
  }

  function checkInstance(name: string, path: FieldPath): void {
    if (allInstances.includes(name)) return;
    const guess = closest(name, allInstances);
    problem(path, `no instance named "${name}"${guess ? `; did you mean "${guess}"?` : ` (instances: ${allInstances.join(", ")})`}; instances are named <service>-<version>-<index>`);
  }

  return { normalizeMetric, checkInstance };
}
