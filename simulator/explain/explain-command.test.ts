/**
 * `meshsim explain` from the command line: text and JSON from resource files, with the file:line
 * of each rule; the same answer from a running control plane (GET /resources) and, without the
 * file:line, from a live meshsim sidecar's /config_dump; exit codes; and --help on every command.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../control-plane/server.ts";
import { Proxy } from "../../proxy/proxy.ts";
import { startAdsClient, type AdsClient } from "../../proxy/xds/ads-client.ts";
import { startAdminServer, type AdminServer } from "../../proxy/admin/admin-server.ts";
import { proxyAdminView } from "../../proxy/admin/admin-view.ts";
import { runCli } from "../testing/run-cli.ts";

const FILE = "simulator/explain/testdata/hello.yaml";
const HOST = "hello.default.svc.cluster.local";
const TEXT = readFileSync(FILE, "utf8").split("\n");
/** The 1-based line of the first line containing `text` (after `after`, when given). */
const lineOf = (text: string, after = 0) => TEXT.findIndex((l, i) => i >= after && l.includes(text)) + 1;
const at = (text: string, after = 0) => `${FILE}:${lineOf(text, after)}`;

const run = runCli;

/** The parts of an explanation a sidecar's dump can show (no file:line, no source). */
function withoutLocations(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === "at" || k === "subsetAt" || k === "from" || k === "problems" ? undefined : v)));
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("meshsim explain", () => {
  it("says which route matches, why the earlier one does not, and where each rule was written", async () => {
    const r = await run("explain", FILE, "--protocol", "thrift", "--host", HOST, "--method", "sayHello", "--header", "env=prod");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const canary = lineOf("- name: canary");
    expect(r.out).toContain(`✗ canary  ${at("- name: canary")} MetaRouter/hello`);
    expect(r.out).toContain(`env exact "canary": "prod" fails  ${at("env: {exact: canary}", canary - 1)} MetaRouter/hello`);
    expect(r.out).toContain(`✓ split  ${at("- name: split")} MetaRouter/hello`);
    expect(r.out).toContain(`80%  outbound|9090|v1|${HOST}  ${at("weight: 80")} MetaRouter/hello`);
    expect(r.out).toContain(`20%  outbound|9090|v2|${HOST}  ${at("weight: 20")} MetaRouter/hello`);
    expect(r.out).toContain(`subset v2 [version=v2]  ${at("- name: v2")} DestinationRule/hello`);
    expect(r.out).toContain(`endpoint 127.0.0.1:19002 [version=v2]  ${at("19002")} ServiceEntry/hello`);
    expect(r.out).toContain(`load balancer: least_request  ${at("loadBalancer")} DestinationRule/hello`);
    // The subset's own outlier detection, not a top-level one.
    expect(r.out).toContain(`outlier detection: eject after 3 consecutive errors for 10000 ms (every 1000 ms, at most 10%)  ${at("outlierDetection")} DestinationRule/hello`);
    expect(r.out).toContain(`local rate limit: default bucket: 100 tokens, 100 every 1000 ms  ${at("tokenBucket: {maxTokens: 100")} MetaRouter/hello`);
    expect(r.out).toContain(`mirror: 50% copied to outbound|9090|v2|${HOST}  ${at("mirror:")} MetaRouter/hello`);
    expect(r.out).not.toContain("fault:");
  });

  it("names the canary route's fault, timeout and retries, and the condition that picks a rate-limit bucket", async () => {
    const canary = JSON.parse((await run("explain", FILE, "--host", HOST, "--method", "sayHello", "--header", "env=canary", "--json")).out);
    expect(canary.route.name).toBe("canary");
    expect(canary.routes).toHaveLength(1);
    expect(canary.policies.map((p: { kind: string; at: { line: number } }) => [p.kind, p.at.line])).toEqual([
      ["local rate limit", lineOf("tokenBucket: {maxTokens: 100")],
      ["fault", lineOf("abort: {errorKind")],
      ["timeout", lineOf("timeout: 2s")],
      ["retries", lineOf("retries: {attempts")],
    ]);
    const slow = JSON.parse((await run("explain", FILE, "--host", HOST, "--method", "slowCall", "--json")).out);
    expect(slow.policies[0]).toMatchObject({ kind: "local rate limit", applies: true, at: { line: lineOf("- match: {attributes: {method: {exact: slowCall}}}") } });
    expect(slow.policies[0].detail).toMatch(/^condition 0 \(method exact "slowCall"\): 1 tokens/);
  });

  it("exits 1 with the local reply when no route matches, and 2 on bad input", async () => {
    const none = await run("explain", FILE, "--host", HOST, "--method", "echo");
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/✗ split .*\n\s+method prefix "say": "echo" fails/);
    expect(none.out).toContain("outcome   no route matches: local reply no_route");
    expect((await run("explain", FILE, "--host", HOST, "--protocol", "dubbo")).err).toContain(`${HOST}_9090 speaks thrift, not dubbo`);
    expect((await run("explain", FILE, "--host", "nope.default.svc.cluster.local")).err).toContain("no listener for host nope.default.svc.cluster.local");
    const bad = await run("explain", FILE, "--host", HOST, "--methd", "x");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("explain: Unknown option '--methd' (options: --host, --port, --protocol");
    expect((await run("explain", "--host", HOST)).err).toContain("name resource files, or --control-plane <addr>, or --sidecar <addr>");
  });

  it("gives the same answer from a running control plane, and from a live sidecar's /config_dump", async () => {
    const args = ["--host", HOST, "--method", "sayHello", "--header", "env=prod", "--json"];
    const fromFiles = JSON.parse((await run("explain", FILE, ...args)).out);

    const cp: ControlPlane = await startControlPlane({ files: [FILE] });
    cleanups.push(() => cp.close());
    const fromControlPlane = JSON.parse((await run("explain", "--control-plane", `127.0.0.1:${cp.httpPort}`, ...args)).out);
    expect(fromControlPlane.from).toBe(`control plane 127.0.0.1:${cp.httpPort}`);
    expect({ ...fromControlPlane, from: undefined }).toEqual({ ...fromFiles, from: undefined });

    const listener = `${HOST}_9090`;
    const bootstrap = {
      node: { id: "explain-test", cluster: "caller" },
      xds: { address: `127.0.0.1:${cp.xdsPort}` },
      admin: { host: "127.0.0.1", port: 0 },
      redirects: { [listener]: { host: "127.0.0.1", port: 0 } },
    };
    const proxy = new Proxy({ redirects: bootstrap.redirects });
    const ads: AdsClient = startAdsClient(bootstrap, proxy, { backoffInitialMs: 20 });
    const admin: AdminServer = await startAdminServer(proxyAdminView(proxy), 0, () => ads.status());
    cleanups.push(
      () => proxy.close(),
      () => admin.close(),
      () => ads.close(),
    );
    while (!(cp.status().proxies.length === 1 && cp.status().acked)) await new Promise((resolve) => setTimeout(resolve, 20));
    const fromSidecar = JSON.parse((await run("explain", "--sidecar", `127.0.0.1:${admin.port}`, ...args)).out);
    expect(fromSidecar.from).toBe(`sidecar 127.0.0.1:${admin.port}`);
    expect(withoutLocations(fromSidecar)).toEqual(withoutLocations(fromFiles));
  });

  it("reads Kubernetes manifests as Aeraki does: validate accepts them, explain names the workloads behind the endpoints", async () => {
    const dir = "control-plane/testdata/kubernetes";
    expect(await run("validate", dir)).toEqual({ code: 0, out: "3 file(s) valid\n", err: "" });
    const r = await run("explain", dir, "--host", "hello.shop.svc.cluster.local", "--method", "sayHello");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`listener  hello.shop.svc.cluster.local_9090 (thrift)  ${dir}/service.yaml:5 Service/hello`);
    expect(r.out).toContain(`endpoint hello-v1:19090 [app=hello version=v1]  ${dir}/workloads.yaml:4 Deployment/hello-v1`);
  });

  it("reads a scenario's resources after a chosen step", async () => {
    const file = "scenarios/thrift/version-routing.yaml";
    const subsetAfter = async (...step: string[]) =>
      JSON.parse((await run("explain", file, ...step, "--host", "hello.default.svc.cluster.local", "--method", "sayHello", "--json")).out).route.destinations[0].subset;
    expect(await subsetAfter("--step", "route to v1")).toBe("v1");
    expect(await subsetAfter()).toBe("v2");
    const bad = await run("explain", file, "--step", "nope", "--host", "hello.default.svc.cluster.local");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('explain: no step "nope" that applies resources in scenarios/thrift/version-routing.yaml (steps: route to v1, switch to v2)');
  });

  it("prints what README.md shows", async () => {
    const readme = readFileSync("README.md", "utf8");
    const m = /```sh\n\$ npx meshsim (explain [^\n]+)\n([\s\S]*?)```/.exec(readme);
    expect(m).not.toBeNull();
    const r = await run(...m![1]!.split(" "));
    expect(r.out).toBe(m![2]);
  });

  it("answers --help on every command without doing anything else", async () => {
    for (const command of ["run", "up", "validate", "explain", "doctor", "images", "control-plane", "proxy", "codec-test"]) {
      const r = await run(command, "--help");
      expect([command, r.code, r.err]).toEqual([command, 0, ""]);
      expect(r.out).toMatch(new RegExp(`^usage: meshsim ${command}`));
    }
  });
});
