/**
 * Istio Telemetry → a listener's proxy filter: `accessLogging` becomes its `access_log`, as
 * Aeraki puts Envoy's file access log on its MetaProtocolProxy (and meshsim, the same, on
 * redis_proxy); `tracing` becomes its `tracing` (Envoy's `random_sampling`). For each, a Telemetry
 * naming the listener's service in `targetRefs` decides over one naming none; among equals the
 * first by namespace and name decides.
 */
import type { Resource } from "../resources/kinds.ts";
import type { Telemetry } from "../resources/telemetry.ts";
import type { ServiceEntry } from "../resources/service-entry.ts";

const FILE_ACCESS_LOG_TYPE = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog";
/** Where Istio's built-in `envoy` provider writes (meshConfig.accessLogFile). */
const STDOUT = "/dev/stdout";

/** The filter's `access_log` for a listener of `serviceEntry` serving `host`, or undefined when off. */
export function accessLogFor(resources: readonly Resource[], host: string, serviceEntry: ServiceEntry): Array<Record<string, unknown>> | undefined {
  if (deciding(resources, host, serviceEntry, "accessLogging")?.spec.accessLogging !== true) return undefined;
  return [{ name: "envoy.access_loggers.file", typed_config: { "@type": FILE_ACCESS_LOG_TYPE, path: STDOUT } }];
}

/** The filter's `tracing`, or undefined when the listener traces nothing. */
export function tracingFor(resources: readonly Resource[], host: string, serviceEntry: ServiceEntry): Record<string, unknown> | undefined {
  const tracing = deciding(resources, host, serviceEntry, "tracing")?.spec.tracing;
  if (tracing === undefined || tracing.disabled) return undefined;
  return { random_sampling: { value: tracing.randomSamplingPercentage } };
}

type TelemetryField = "accessLogging" | "tracing";

/** Per resources array (one translation), the Telemetries setting each field, in deciding order. */
const sortedTelemetries = new WeakMap<readonly Resource[], Map<TelemetryField, Telemetry[]>>();

/** Found once per translation, not once per listener: a thousand listeners would scan every resource each. */
function telemetriesSetting(resources: readonly Resource[], field: TelemetryField): Telemetry[] {
  let byField = sortedTelemetries.get(resources);
  if (!byField) sortedTelemetries.set(resources, (byField = new Map()));
  let telemetries = byField.get(field);
  if (!telemetries) {
    telemetries = resources
      .filter((r): r is Telemetry => r.kind === "Telemetry" && r.spec[field] !== undefined)
      .sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
    byField.set(field, telemetries);
  }
  return telemetries;
}

function deciding(resources: readonly Resource[], host: string, serviceEntry: ServiceEntry, field: TelemetryField): Telemetry | undefined {
  const telemetries = telemetriesSetting(resources, field);
  return telemetries.find((t) => t.spec.targetRefs.some((ref) => targets(ref, host, serviceEntry))) ?? telemetries.find((t) => t.spec.targetRefs.length === 0);
}

function targets(ref: Telemetry["spec"]["targetRefs"][number], host: string, serviceEntry: ServiceEntry): boolean {
  if (ref.kind === "ServiceEntry") return ref.name === serviceEntry.metadata.name && ref.namespace === serviceEntry.metadata.namespace;
  return host === `${ref.name}.${ref.namespace}.svc.cluster.local`;
}
