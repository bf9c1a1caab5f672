/**
 * The shipped Grafana dashboard reads only what exists: every metric its queries select and every
 * label they filter or group by is among what a real proxy serves on `/stats/prometheus` after
 * real traffic (plus `sidecar`, the label meshsim's Prometheus scrape adds).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAdminServer, type AdminServer } from "../admin/admin-server.ts";
import { proxyAdminView } from "../admin/admin-view.ts";
import { startThriftMesh, type ThriftMesh } from "../testing/thrift-mesh.ts";

const DASHBOARD = fileURLToPath(new URL("../../dashboards/meshsim-requests.json", import.meta.url));
/** Added by the scrape (simulator/runtime/prometheus.ts), and `le` of histogram buckets. */
const SCRAPE_LABELS = ["sidecar", "le"];

interface Exported {
  metrics: Set<string>;
  labels: Set<string>;
}

/** Metric and label names in Prometheus text: every sample's name and label names. */
function exported(text: string): Exported {
  const metrics = new Set<string>();
  const labels = new Set<string>(SCRAPE_LABELS);
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? /.exec(line);
    if (!m) continue;
    metrics.add(m[1]!);
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1]!);
  }
  return { metrics, labels };
}

/** Every PromQL expression in the dashboard: panel targets and query variables. */
function queries(dashboard: { panels: Array<{ targets?: Array<{ expr: string }> }>; templating: { list: Array<{ type: string; query?: { query: string } }> } }): string[] {
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variables = dashboard.templating.list.filter((v) => v.type === "query").map((v) => v.query!.query);
  return [...exprs, ...variables];
}

/** What one query reads that the proxy does not export. Selectors are written `metric{...}`. */
function unknownNames(expr: string, have: Exported): string[] {
  const missing: string[] = [];
  const selectors = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)];
  if (selectors.length === 0) missing.push(`no metric{...} selector in ${expr}`);
  for (const [, metric, matchers] of selectors) {
    if (!have.metrics.has(metric!)) missing.push(`metric ${metric}`);
    for (const l of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) if (!have.labels.has(l[1]!)) missing.push(`label ${l[1]}`);
  }
  for (const g of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of g[1]!
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean))
      if (!have.labels.has(l)) missing.push(`label ${l}`);
  }
  for (const v of expr.matchAll(/label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\)/g)) if (!have.labels.has(v[1]!)) missing.push(`label ${v[1]}`);
  return missing;
}

describe("the Grafana dashboard", () => {
  let mesh: ThriftMesh;
  let admin: AdminServer;
  let have: Exported;
  beforeAll(async () => {
    mesh = await startThriftMesh({ v1: 1 });
    admin = await startAdminServer(proxyAdminView(mesh.proxy), 0, () => ({}));
    await mesh.client().sayHello("x");
    have = exported(await (await fetch(`http://127.0.0.1:${admin.port}/stats/prometheus`)).text());
  });
  afterAll(async () => {
    await admin.close();
    await mesh.close();
  });

  it("queries only metrics and labels the proxy exports", () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8"));
    const all = queries(dashboard);
    expect(all.length).toBeGreaterThan(10);
    expect(all.flatMap((q) => unknownNames(q, have))).toEqual([]);
    // What the panels are about.
    expect(have.metrics).toContain("istio_requests_total");
    expect(have.metrics).toContain("istio_request_duration_milliseconds_bucket");
  });

  it("names a metric or label the proxy does not export", () => {
    expect(unknownNames('sum by (destination_versoin) (rate(istio_request_total{outcome="ok"}[1m]))', have)).toEqual(["metric istio_request_total", "label destination_versoin"]);
    expect(unknownNames("sum(rate(istio_requests_total[1m]))", have)).toEqual(["no metric{...} selector in sum(rate(istio_requests_total[1m]))"]);
  });
});
