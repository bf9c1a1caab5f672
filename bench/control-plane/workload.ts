/**
 * The control-plane benchmark's configuration: N Thrift services, each with a ServiceEntry (two
 * endpoints, v1 and v2), a DestinationRule (two subsets) and a MetaRouter (a method route and a
 * weighted split). Resource names follow from N, so simulated proxies need not decode anything.
 */
export const host = (i: number) => `svc-${i}.bench.svc.cluster.local`;
export const PORT = 9090;

export function clusterNames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) for (const subset of ["", "v1", "v2"]) out.push(`outbound|${PORT}|${subset}|${host(i)}`);
  return out;
}

export function routeNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${host(i)}_${PORT}`);
}

export function metaRouterYaml(i: number, v1Weight: number): string {
  return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: { name: svc-${i}, namespace: bench }
spec:
  hosts: [${host(i)}]
  routes:
    - name: by-method
      match: { attributes: { method: { exact: sayHello } } }
      route: [{ destination: { host: ${host(i)}, subset: v2 } }]
    - name: split
      route:
        - { destination: { host: ${host(i)}, subset: v1 }, weight: ${v1Weight} }
        - { destination: { host: ${host(i)}, subset: v2 }, weight: ${100 - v1Weight} }
`;
}

export function workloadYaml(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: svc-${i}, namespace: bench }
spec:
  hosts: [${host(i)}]
  ports: [{ number: ${PORT}, name: tcp-metaprotocol-thrift-svc }]
  resolution: STATIC
  endpoints:
    - { address: 10.0.${i >> 8}.${i & 255}, ports: { tcp-metaprotocol-thrift-svc: 19001 }, labels: { version: v1 } }
    - { address: 10.1.${i >> 8}.${i & 255}, ports: { tcp-metaprotocol-thrift-svc: 19001 }, labels: { version: v2 } }
`,
      `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: svc-${i}, namespace: bench }
spec:
  host: ${host(i)}
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`,
      metaRouterYaml(i, 50),
    );
  }
  return docs.join("---\n");
}

/** The benchmark's change number `c`: one service's split moves. */
export function changeYaml(n: number, c: number): string {
  return metaRouterYaml((c * 37) % n, 10 + c);
}
