/**
 * A sidecar's counters and gauges as one flat `name → value` map, whichever proxy it is:
 * meshsim's admin serves that map at `/stats`; Envoy's admin serves `/stats?format=json`
 * (`{stats: [{name, value}, ...]}`, histograms apart). Both follow Envoy's naming
 * (`cluster.<cluster>.upstream_rq_total`, ...), so scenario metric names work on both; a counter
 * only one of them has is reported as matching nothing, which fails the metric expectation.
 */
export type StatsSnapshot = Readonly<Record<string, number>>;

/**
 * Counters only meshsim's proxy keeps, each with what Envoy does instead. A metric expectation on
 * one of them is reported as not applicable on an Envoy sidecar (named, never a silent pass); the
 * scenario's other checks — what the fixtures received, what clients saw — still decide.
 */
const MESHSIM_ONLY_COUNTERS: ReadonlyArray<[RegExp, string]> = [
  [/\.mirror_rq_(total|sent|completed|failed)$/, "Envoy counts mirrored requests only as the mirror cluster's own upstream requests, with no count of copies sent, completed or failed"],
  [
    /^listener\..+\.fault\.(aborts|delays)_injected$/,
    "Envoy has no fault filter for thrift_proxy or dubbo_proxy, and redis_proxy counts its faults per command (redis.<listener>.command.<command>.error_fault, .delay_fault)",
  ],
];

/** Why an Envoy sidecar has no counter `name`, or undefined when it may have it. */
export function envoyLacksCounter(name: string): string | undefined {
  return MESHSIM_ONLY_COUNTERS.find(([re]) => re.test(name))?.[1];
}

export async function readSidecarStats(sidecar: { dataPlane?: "meshsim" | "envoy"; adminPort: number }): Promise<StatsSnapshot> {
  if (sidecar.dataPlane !== "envoy") {
    const res = await fetch(`http://127.0.0.1:${sidecar.adminPort}/stats`);
    return (await res.json()) as StatsSnapshot;
  }
  const res = await fetch(`http://127.0.0.1:${sidecar.adminPort}/stats?format=json`);
  const body = (await res.json()) as { stats?: Array<{ name?: string; value?: unknown }> };
  const out: Record<string, number> = {};
  for (const s of body.stats ?? []) if (typeof s.name === "string" && typeof s.value === "number") out[s.name] = s.value;
  return out;
}
