/**
 * Kubernetes manifests as hosts: a repository with a Service, its Deployment and Pod and the
 * Aeraki/Istio routing validates and translates with no stand-in ServiceEntry; without the
 * Service its hosts are unknown; a subset that selects none of the Service's workloads is named
 * with its file:line; and an unknown host no longer hides an unknown subset.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../common/errors.ts";
import { loadResourceFiles, parseResources, validateResources } from "./index.ts";
import { translate } from "../translate/index.ts";

const DIR = "control-plane/testdata/kubernetes";
const file = (name: string) => `${DIR}/${name}`;
const lineOf = (name: string, text: string) =>
  readFileSync(file(name), "utf8")
    .split("\n")
    .findIndex((l) => l.includes(text)) + 1;
const HOST = "hello.shop.svc.cluster.local";

function problemsOf(texts: Record<string, string>): string[] {
  const parsed = Object.entries(texts).map(([f, t]) => parseResources(t, f));
  return [...parsed.flatMap((p) => p.problems), ...validateResources(parsed.flatMap((p) => p.resources))].map(formatProblem);
}

describe("Kubernetes Services as hosts", () => {
  it("validates a Service, its workloads and its routing without a ServiceEntry, and translates them", () => {
    const { resources, problems } = loadResourceFiles([DIR]);
    expect(problems.map(formatProblem)).toEqual([]);
    expect(resources.some((r) => r.kind === "ServiceEntry")).toBe(false);
    // The ConfigMap beside the workloads is skipped; a mesh kind meshsim does not know is not.
    expect(resources.map((r) => r.kind).sort()).toEqual(["Deployment", "DestinationRule", "MetaRouter", "Pod", "Service"]);
    expect(parseResources("apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: x}\nspec: {}\n", "vs.yaml").problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^vs\.yaml:2:7: VirtualService\/x kind: unknown kind "VirtualService" \(known: /),
    ]);
    const out = translate(resources);
    expect(out.listeners.map((l) => l.name)).toEqual([`${HOST}_9090`]);
    // One endpoint per selected workload, on the container port the Service's named targetPort names.
    const endpoints = (cluster: string) =>
      out.endpoints
        .find((e) => e.cluster_name === cluster)
        ?.endpoints.flatMap((l) => l.lb_endpoints.map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`));
    expect(endpoints(`outbound|9090|v1|${HOST}`)).toEqual(["hello-v1:19090"]);
    expect(endpoints(`outbound|9090|v2|${HOST}`)).toEqual(["hello-v2-canary:19091"]);
  });

  it("reports the hosts as unknown when the Service is left out", () => {
    const { problems } = loadResourceFiles([file("workloads.yaml"), file("routing.yaml")]);
    expect(problems.map((p) => `${p.resource} ${p.path}`)).toEqual([
      "DestinationRule/hello spec.host",
      "MetaRouter/hello spec.hosts[0]",
      "MetaRouter/hello spec.routes[0].route[0].destination.host",
      "MetaRouter/hello spec.routes[1].route[0].destination.host",
    ]);
    expect(problems[0]!.message).toBe(`unknown host "${HOST}": no ServiceEntry or Kubernetes Service defines it`);
  });

  it("names a subset that selects none of the Service's workloads, with its file:line and the workloads there are", () => {
    const routing = readFileSync(file("routing.yaml"), "utf8").replace("labels: {version: v2}", "labels: {version: v3}");
    const problems = problemsOf({
      [file("service.yaml")]: readFileSync(file("service.yaml"), "utf8"),
      [file("workloads.yaml")]: readFileSync(file("workloads.yaml"), "utf8"),
      "routing.yaml": routing,
    });
    const line = lineOf("routing.yaml", "labels: {version: v2}");
    expect(problems).toEqual([
      `routing.yaml:${line}:15: DestinationRule/hello spec.subsets[1].labels: subset "v2" {version=v3} selects no workload of Service/hello (its workloads: Deployment/hello-v1 {app=hello,version=v1}, Pod/hello-v2-canary {app=hello,version=v2})`,
    ]);
  });

  it("reports an unknown host and an unknown subset in the same destination, each at its own line", () => {
    const text = `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: hello, namespace: shop}
spec:
  hosts: [${HOST}]
  routes:
    - name: typo
      route:
        - destination:
            host: helo.shop.svc.cluster.local
            subset: v9
`;
    const problems = problemsOf({
      [file("service.yaml")]: readFileSync(file("service.yaml"), "utf8"),
      [file("workloads.yaml")]: readFileSync(file("workloads.yaml"), "utf8"),
      "typo.yaml": text,
    });
    expect(problems).toEqual([
      'typo.yaml:10:19: MetaRouter/hello spec.routes[0].route[0].destination.host: unknown host "helo.shop.svc.cluster.local": no ServiceEntry or Kubernetes Service defines it',
      'typo.yaml:11:21: MetaRouter/hello spec.routes[0].route[0].destination.subset: unknown subset "v9": no DestinationRule for host "helo.shop.svc.cluster.local"',
    ]);
  });

  it("names a targetPort that no container port of a selected workload has", () => {
    const problems = problemsOf({
      "service.yaml": readFileSync(file("service.yaml"), "utf8").replace("targetPort: thrift", "targetPort: thrfit"),
      [file("workloads.yaml")]: readFileSync(file("workloads.yaml"), "utf8"),
    });
    expect(problems).toEqual([
      `service.yaml:${lineOf("service.yaml", "targetPort")}:19: Service/hello spec.ports[0].targetPort: "thrfit" names no container port of Deployment/hello-v1, Pod/hello-v2-canary`,
    ]);
  });
});
