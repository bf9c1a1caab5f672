/** The control plane's HTTP API and process entry point, on port 0. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "./server.ts";

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const HOST = "hello.meta-thrift.svc.cluster.local";

let cp: ControlPlane | undefined;
afterEach(async () => {
  await cp?.close();
  cp = undefined;
});

const router = (subset: string) => `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata:
  name: hello
  namespace: meta-thrift
spec:
  hosts: [${HOST}]
  routes:
    - route:
        - destination:
            host: ${HOST}
            subset: ${subset}
`;

describe("control plane HTTP API", () => {
  it("serves ready, status, list, apply with validation, and delete", async () => {
    cp = await startControlPlane({ files: [testdata("thrift-hello.yaml")] });
    const base = `http://127.0.0.1:${cp.httpPort}`;
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ ready: true });
    expect(await (await fetch(`${base}/status`)).json()).toEqual({ version: "1", acked: true, pending: false, proxies: [] });

    const list = (await (await fetch(`${base}/resources`)).json()) as { resources: Array<{ kind: string; metadata: { name: string }; source: { file: string; line: number } }> };
    expect(list.resources.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual(["ServiceEntry/thrift-hello", "DestinationRule/thrift-hello", "ApplicationProtocol/thrift", "MetaRouter/hello"]);
    expect(list.resources[3]!.source).toEqual({ file: testdata("thrift-hello.yaml"), line: 51, column: 1 });

    const bad = await fetch(`${base}/resources?file=routes.yaml`, { method: "POST", body: router("v9") });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      problems: [
        {
          file: "routes.yaml",
          line: 12,
          column: 21,
          resource: "MetaRouter/hello",
          path: "spec.routes[0].route[0].destination.subset",
          message: 'unknown subset "v9": DestinationRule DestinationRule/thrift-hello does not define it',
        },
      ],
    });

    const unknownKind = await fetch(`${base}/resources`, { method: "POST", body: "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: p}\n" });
    expect(unknownKind.status).toBe(400);
    expect(((await unknownKind.json()) as { problems: Array<{ line: number; message: string }> }).problems[0]).toMatchObject({
      line: 2,
      message: expect.stringContaining('unknown kind "VirtualService"'),
    });

    const ok = await fetch(`${base}/resources`, { method: "POST", body: router("v1") });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ version: "2", applied: ["MetaRouter/meta-thrift/hello"] });

    const del = await fetch(`${base}/resources/MetaRouter/meta-thrift/hello`, { method: "DELETE" });
    expect(await del.json()).toEqual({ version: "3", deleted: "MetaRouter/meta-thrift/hello" });
    expect((await fetch(`${base}/resources/MetaRouter/meta-thrift/hello`, { method: "DELETE" })).status).toBe(404);
  });

  it("coalesces a burst of changes into one version", async () => {
    cp = await startControlPlane({ files: [testdata("thrift-hello.yaml")] });
    const mr = cp.store.get("MetaRouter", "meta-thrift", "hello")!;
    for (let i = 0; i < 5; i++) cp.store.apply([mr]);
    expect(cp.status()).toMatchObject({ version: "1", pending: true, acked: false });
    expect(await cp.settled()).toBe("2");
    expect(cp.status()).toMatchObject({ version: "2", pending: false, acked: true });
  });

  it("runs as a process: one ready line, exits when stdin closes", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", "control-plane/main.ts", "--xds-port", "0", "--http-port", "0", testdata("thrift-hello.yaml")], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
    const ready = JSON.parse(line) as { ready: boolean; xdsPort: number; httpPort: number };
    expect(ready).toEqual({ ready: true, xdsPort: expect.any(Number), httpPort: expect.any(Number) });
    expect((await fetch(`http://127.0.0.1:${ready.httpPort}/ready`)).status).toBe(200);
    child.stdin!.end();
    expect(await exited).toBe(0);
  }, 20000);
});
