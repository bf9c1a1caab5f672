/**
 * A third-party xDS client against meshsim's control plane: @grpc/grpc-js-xds resolves an
 * `xds:///` target through it (LDS → RDS → CDS → EDS), and its calls follow the weighted split
 * and the injected fault the control plane serves.
 */
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResources } from "../resources/index.ts";
import { startControlPlane, type ControlPlane } from "../server.ts";

const HOST = "greeter.test.svc.cluster.local";
const PORT = 50051;
const METHOD = "/meshsim.test.Greeter/Hello";

const identity = (b: Buffer) => b;
const greeter: grpc.ServiceDefinition = {
  Hello: { path: METHOD, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

async function startGreeter(version: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(greeter, {
    Hello: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(version)),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, server };
}

const resources = (v1: number, v2: number) => `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: greeter, namespace: test }
spec:
  hosts: [${HOST}]
  ports: [{ number: ${PORT}, name: grpc-greeter, protocol: GRPC }]
  resolution: STATIC
  endpoints:
    - { address: 127.0.0.1, ports: { grpc-greeter: ${v1} }, labels: { version: v1 } }
    - { address: 127.0.0.1, ports: { grpc-greeter: ${v2} }, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: greeter, namespace: test }
spec:
  host: ${HOST}
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: greeter
  namespace: test
  annotations:
    meshsim.dev/route-policies: |
      faulty:
        fault:
          abort: { errorKind: upstream_failure, percentage: 100 }
spec:
  hosts: [${HOST}]
  routes:
    - name: faulty
      match:
        attributes:
          x-fault: { exact: "yes" }
      route:
        - destination: { host: ${HOST}, subset: v1 }
    - name: split
      route:
        - { destination: { host: ${HOST}, subset: v1 }, weight: 20 }
        - { destination: { host: ${HOST}, subset: v2 }, weight: 80 }
`;

let cp: ControlPlane;
let servers: grpc.Server[] = [];
let client: grpc.Client;

beforeAll(async () => {
  const [v1, v2] = await Promise.all([startGreeter("v1"), startGreeter("v2")]);
  servers = [v1.server, v2.server];
  cp = await startControlPlane({ debounceMs: 1 });
  const parsed = parseResources(resources(v1.port, v2.port), "greeter.yaml");
  expect(parsed.problems).toEqual([]);
  cp.store.apply(parsed.resources);
  await cp.settled();
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${cp.xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: { id: "grpc-js-xds-client", locality: {} },
  });
  grpcXds.register();
  client = new grpc.Client(`xds:///${HOST}:${PORT}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  for (const s of servers) s.forceShutdown();
  await cp?.close();
});

function call(metadata = new grpc.Metadata()): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(METHOD, identity, identity, Buffer.alloc(0), metadata, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res!.toString())));
  });
}

describe("@grpc/grpc-js-xds through meshsim's control plane", () => {
  it("follows the weighted split", async () => {
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    for (let i = 0; i < 200; i++) counts[await call()]! += 1;
    // 20/80 of 200: v1 expected 40, sd ≈ 5.7; accept ±3.5 sd.
    expect(counts.v1).toBeGreaterThanOrEqual(20);
    expect(counts.v1).toBeLessThanOrEqual(60);
    expect(counts.v1! + counts.v2!).toBe(200);
    const status = cp.status();
    expect(status.proxies.map((p) => p.id)).toContain("grpc-js-xds-client");
    expect(status.acked).toBe(true);
  }, 20000);

  it("gets the injected fault on the matching route", async () => {
    const md = new grpc.Metadata();
    md.set("x-fault", "yes");
    const errors = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(md).then(
          () => undefined,
          (e: grpc.ServiceError) => e.code,
        ),
      ),
    );
    expect(errors).toEqual(Array(5).fill(grpc.status.UNAVAILABLE));
  });
});
