/**
 * Istio Telemetry, the access logging part: what Istio users write to turn access logs on
 * (`accessLogging` with the built-in `envoy` provider, which writes to the sidecar's stdout, as
 * Istio's `meshConfig.accessLogFile: /dev/stdout` and Aeraki's MetaProtocolProxy `access_log` do).
 * meshsim's sidecars are all client-side: a Telemetry applies to every sidecar, to all its
 * listeners or, with `targetRefs`, to the listeners of the named services only.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const TELEMETRY_API_VERSIONS = ["telemetry.istio.io/v1", "telemetry.istio.io/v1beta1", "telemetry.istio.io/v1alpha1"] as const;

/** Istio's built-in access log provider. */
export const ENVOY_PROVIDER = "envoy";

export interface TelemetryTargetRef {
  kind: "Service" | "ServiceEntry";
  name: string;
  namespace: string;
  /** Where the reference is written, for problems found across resources. */
  path: FieldPath;
}

export interface TelemetrySpec {
  /** Empty: every listener of every sidecar. */
  targetRefs: TelemetryTargetRef[];
  /** undefined: this Telemetry says nothing about access logs; false: off; true: on. */
  accessLogging?: boolean;
  /** undefined: this Telemetry says nothing about tracing. */
  tracing?: { disabled: boolean; randomSamplingPercentage: number };
}

/** Istio's default sampling when a Telemetry turns tracing on without a percentage (meshConfig's default is 1%). */
export const DEFAULT_SAMPLING_PERCENTAGE = 1;

export type Telemetry = TypedResource<"Telemetry", TelemetrySpec>;

export function parseTelemetrySpec(spec: Record<string, unknown>, r: FieldReader, metadata: { namespace: string }): TelemetrySpec {
  if (spec.selector !== undefined) {
    r.problem(["spec", "selector"], "a workload selector is not supported: meshsim's sidecars are one per client and all client-side; omit it (every sidecar) or name services in targetRefs");
  }
  if (spec.metrics !== undefined) r.problem(["spec", "metrics"], "Telemetry metrics are not configurable here: meshsim's sidecars always serve Istio's request metrics on /stats/prometheus");
  const tracing = parseTracing(spec, r);
  const targetRefs: TelemetryTargetRef[] = [];
  const refs = [...(r.array(spec.targetRefs, ["spec", "targetRefs"], false) ?? [])];
  const single = r.object(spec.targetRef, ["spec", "targetRef"], false);
  if (single) refs.push(single);
  refs.forEach((raw, i) => {
    const path: FieldPath = spec.targetRef !== undefined && i === refs.length - 1 ? ["spec", "targetRef"] : ["spec", "targetRefs", i];
    const ref = r.object(raw, path, true);
    if (!ref) return;
    const kind = r.string(ref.kind, [...path, "kind"], true);
    const name = r.string(ref.name, [...path, "name"], true);
    if (kind !== undefined && kind !== "Service" && kind !== "ServiceEntry")
      r.problem([...path, "kind"], `unsupported target kind "${kind}" (meshsim applies Telemetry to Service and ServiceEntry targets)`);
    if ((kind === "Service" || kind === "ServiceEntry") && name !== undefined) {
      targetRefs.push({ kind, name, namespace: r.string(ref.namespace, [...path, "namespace"], false) || metadata.namespace, path });
    }
  });
  const logging = r.array(spec.accessLogging, ["spec", "accessLogging"], false);
  if (logging === undefined) return { targetRefs, ...(tracing && { tracing }) };
  let enabled: boolean | undefined;
  logging.forEach((raw, i) => {
    const path = ["spec", "accessLogging", i];
    const entry = r.object(raw, path, true);
    if (!entry) return;
    if (entry.filter !== undefined) r.problem([...path, "filter"], "access log filters are not supported: every request is logged (filter the lines in an accessLog assertion instead)");
    const match = r.object(entry.match, [...path, "match"], false);
    const mode = match ? r.string(match.mode, [...path, "match", "mode"], false) : undefined;
    if (mode === "SERVER") r.problem([...path, "match", "mode"], "mode SERVER matches nothing here: meshsim's sidecars are client-side (use CLIENT or CLIENT_AND_SERVER)");
    else if (mode !== undefined && mode !== "CLIENT" && mode !== "CLIENT_AND_SERVER") r.problem([...path, "match", "mode"], `unknown mode "${mode}" (CLIENT, SERVER or CLIENT_AND_SERVER)`);
    const providers = r.array(entry.providers, [...path, "providers"], false) ?? [{ name: ENVOY_PROVIDER }];
    providers.forEach((p, j) => {
      const provider = r.object(p, [...path, "providers", j], true);
      const name = provider ? r.string(provider.name, [...path, "providers", j, "name"], true) : undefined;
      if (name !== undefined && name !== ENVOY_PROVIDER)
        r.problem([...path, "providers", j, "name"], `unsupported access log provider "${name}" (meshsim has Istio's built-in "${ENVOY_PROVIDER}": one JSON line per request on the sidecar's stdout)`);
    });
    const disabled = r.boolean(entry.disabled, [...path, "disabled"]);
    enabled = disabled !== true;
  });
  return { targetRefs, ...(enabled !== undefined && { accessLogging: enabled }), ...(tracing && { tracing }) };
}

/**
 * `tracing: [{randomSamplingPercentage, disableSpanReporting, providers}]`: the share of requests a
 * sidecar starts traces for. Where spans go is the sidecar's own setting (its bootstrap), as a
 * provider's address is meshConfig's in Istio, so any provider name is taken.
 */
function parseTracing(spec: Record<string, unknown>, r: FieldReader): TelemetrySpec["tracing"] {
  const list = r.array(spec.tracing, ["spec", "tracing"], false);
  if (list === undefined) return undefined;
  if (list.length > 1) r.problem(["spec", "tracing"], `one tracing entry is supported, found ${list.length}`);
  const entry = r.object(list[0], ["spec", "tracing", 0], true);
  if (!entry) return undefined;
  for (const field of ["customTags", "match", "useRequestIdForTraceSampling"]) {
    if (entry[field] !== undefined) r.problem(["spec", "tracing", 0, field], `${field} is not supported (spans carry meshsim's own attributes)`);
  }
  const percentage = r.number(entry.randomSamplingPercentage, ["spec", "tracing", 0, "randomSamplingPercentage"], false, 0, 100) ?? DEFAULT_SAMPLING_PERCENTAGE;
  const disabled = r.boolean(entry.disableSpanReporting, ["spec", "tracing", 0, "disableSpanReporting"]) === true;
  return { disabled, randomSamplingPercentage: percentage };
}
