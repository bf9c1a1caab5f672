/**
 * A sidecar's counters and gauges as one flat `name → value` map, whichever proxy it is:
 * meshsim's admin serves that map at `/stats`; Envoy's admin serves `/stats?format=json`
 * (`{stats: [{name, value}, ...]}`, histograms apart). Both follow Envoy's naming
 * (`cluster.<cluster>.upstream_rq_total`, ...), so scenario metric names work on both; a counter
 * only one of them has is reported as matching nothing, which fails the metric expectation.
 */
export type StatsSnapshot = Readonly<Record<string, number>>;

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
