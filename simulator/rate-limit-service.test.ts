/** topology.rateLimitService: checked before anything starts, and a cluster MetaRouters can name. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, scenarioProblems } from "./scenario/loader.ts";
import { validateScenarioResources } from "./scenario-resources.ts";
import { toTopologySpec } from "./scenario-topology.ts";

const dir = mkdtempSync(join(tmpdir(), "meshsim-ratelimit-"));
let n = 0;
function scenario(topologyExtra: string, rateLimitService: string): string {
  const file = join(dir, `s${++n}.yaml`);
  writeFileSync(
    file,
    `apiVersion: meshsim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
topology:
  services:
    - {name: hello, protocol: thrift, port: 9090}
${topologyExtra}  rateLimitService: {domain: hello, descriptors: [{key: method, rate_limit: {unit: second, requests_per_unit: 1}}]}
resources:
  - apiVersion: metaprotocol.aeraki.io/v1alpha1
    kind: MetaRouter
    metadata: {name: hello}
    spec:
      hosts: [hello.default.svc.cluster.local]
      globalRateLimit: {domain: hello, rateLimitService: "${rateLimitService}", descriptors: [{property: method, descriptorKey: method}]}
      routes: [{name: all, route: [{destination: {host: hello.default.svc.cluster.local}}]}]
steps: [{waitFor: {acked: true}}]
`,
  );
  return file;
}

describe("topology.rateLimitService", () => {
  it("is the cluster outbound|8081||ratelimit.default.svc.cluster.local by default, with its configuration", async () => {
    const s = await loadScenario(scenario("", "outbound|8081||ratelimit.default.svc.cluster.local"));
    expect(validateScenarioResources(s)).toEqual([]);
    expect(toTopologySpec(s).rateLimitService).toEqual({
      name: "ratelimit",
      namespace: "default",
      port: 8081,
      config: { domain: "hello", descriptors: [{ key: "method", rate_limit: { unit: "second", requests_per_unit: 1 } }] },
    });
  });

  it("lets validation catch a MetaRouter naming another port", async () => {
    const problems = validateScenarioResources(await loadScenario(scenario("", "outbound|8082||ratelimit.default.svc.cluster.local")));
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual(['14 spec.globalRateLimit.rateLimitService.port.number: host "ratelimit.default.svc.cluster.local" has no port 8082']);
  });

  it("refuses a name taken by a service, and the container backend", async () => {
    const file = scenario("  backend: containers\n", "outbound|8081||ratelimit.default.svc.cluster.local");
    writeFileSync(file, readFileSync(file, "utf8").replace("rateLimitService: {domain", "rateLimitService: {name: hello, domain"));
    expect((await scenarioProblems(file)).map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      "8 topology.rateLimitService: the rate-limit service runs on the process backend only (backend: processes)",
      "8 topology.rateLimitService.name: hello.default.svc.cluster.local is already a service in topology.services; give the rate-limit service another name",
    ]);
  });
});
