/**
 * Translation reuses what did not change: after each edit, translating the store gives exactly
 * what translating fresh copies of the same resources gives (copies share nothing with earlier
 * translations), and services the edit does not touch keep their very objects.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseResources } from "../resources/index.ts";
import { loadResourceFiles } from "../resources/index.ts";
import { MemoryStore } from "../sources/memory-store.ts";
import { changeYaml, metaRouterYaml, workloadYaml } from "../../bench/control-plane/workload.ts";
import { translate, type EnvoyResources } from "./index.ts";

const policies = fileURLToPath(new URL("../testdata/policies.yaml", import.meta.url));
const SERVICES = 6;

function apply(store: MemoryStore, yaml: string): void {
  const parsed = parseResources(yaml, "edit.yaml");
  expect(parsed.problems).toEqual([]);
  store.apply(parsed.resources);
}

/** A copy of plain data sharing no object with the original (functions, such as source locators, are kept). */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
}

/** Translates the store, and checks the result against a translation of fresh copies. */
function translated(store: MemoryStore): EnvoyResources {
  const out = translate(store.list());
  expect(out).toEqual(translate(copy(store.list())));
  return out;
}

const routeOf = (out: EnvoyResources, i: number) => out.routes.find((r) => r.name === `svc-${i}.bench.svc.cluster.local_9090`)!;
const clustersOf = (out: EnvoyResources, i: number) => out.clusters.filter((c) => c.name.endsWith(`|svc-${i}.bench.svc.cluster.local`));
const listenerOf = (out: EnvoyResources, i: number) => out.listeners.find((l) => l.name === `svc-${i}.bench.svc.cluster.local_9090`)!;

describe("translation reuse", () => {
  it("translates only the service a MetaRouter change touches", () => {
    const store = new MemoryStore();
    apply(store, workloadYaml(SERVICES));
    store.apply(loadResourceFiles([policies]).resources);
    const before = translated(store);
    apply(store, changeYaml(SERVICES, 1)); // svc-1's split moves
    const after = translated(store);
    expect(routeOf(after, 1)).not.toBe(routeOf(before, 1));
    expect(routeOf(after, 1)).not.toEqual(routeOf(before, 1));
    for (const i of [0, 2, 3, 4, 5]) expect(routeOf(after, i)).toBe(routeOf(before, i));
    expect(listenerOf(after, 2)).toBe(listenerOf(before, 2));
    expect(clustersOf(after, 2)[0]).toBe(clustersOf(before, 2)[0]);
  });

  it("follows every kind of change, shared or per service", () => {
    const store = new MemoryStore();
    apply(store, workloadYaml(SERVICES));
    store.apply(loadResourceFiles([policies]).resources);
    translated(store);
    // A DestinationRule: svc-2 gains a subset and a load balancer (clusters, endpoints, routes' hash policy).
    apply(
      store,
      `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: svc-2, namespace: bench }
spec:
  host: svc-2.bench.svc.cluster.local
  trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user } } }
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }, { name: v3, labels: { version: v3 } }]
`,
    );
    expect(clustersOf(translated(store), 2).map((c) => c.name)).toContain("outbound|9090|v3|svc-2.bench.svc.cluster.local");
    // A ServiceEntry: svc-3's v2 endpoint moves.
    apply(store, workloadYaml(SERVICES).split("---\n")[9]!.replace("10.1.0.3", "10.9.9.9"));
    expect(JSON.stringify(translated(store).endpoints)).toContain("10.9.9.9");
    // A mesh-wide Telemetry: every listener gets an access log.
    apply(
      store,
      `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: mesh-default, namespace: istio-system }
spec:
  accessLogging: [{ providers: [{ name: envoy }] }]
`,
    );
    expect(JSON.stringify(listenerOf(translated(store), 4))).toContain("access_log");
    // A MetaRouter deleted, another written for a host that had none.
    store.delete("MetaRouter", "bench", "svc-5");
    translated(store);
    apply(store, metaRouterYaml(5, 70));
    translated(store);
    // A route to a host nobody serves yet, then that host's ServiceEntry: the route (whose own
    // inputs did not change) now resolves its destination to the new host's port.
    apply(
      store,
      `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: { name: svc-1, namespace: bench }
spec:
  hosts: [svc-1.bench.svc.cluster.local]
  routes: [{ name: away, route: [{ destination: { host: later.bench.svc.cluster.local } }] }]
`,
    );
    expect(JSON.stringify(routeOf(translated(store), 1))).toContain("outbound|9090||later.bench.svc.cluster.local");
    apply(
      store,
      `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: later, namespace: bench }
spec:
  hosts: [later.bench.svc.cluster.local]
  ports: [{ number: 9191, name: tcp-metaprotocol-thrift-later }]
  resolution: STATIC
  endpoints: [{ address: 10.7.0.1 }]
`,
    );
    expect(JSON.stringify(routeOf(translated(store), 1))).toContain("outbound|9191||later.bench.svc.cluster.local");
    translated(store);
  });
});
