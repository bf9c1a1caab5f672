import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadResourceFiles, parseResources, validateResources } from "./index.ts";

const testdata = (name: string) => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));

describe("resource validation", () => {
  it("loads a valid Aeraki set without problems, with default namespace applied", () => {
    const { resources, problems } = loadResourceFiles([testdata("thrift-hello.yaml")]);
    expect(problems).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      "ServiceEntry/meta-thrift/thrift-hello",
      "DestinationRule/meta-thrift/thrift-hello",
      "ApplicationProtocol/default/thrift",
      "MetaRouter/meta-thrift/hello",
    ]);
  });

  it("names file, line, column and path for semantic problems, including an unknown subset", () => {
    const file = testdata("invalid-meta-router.yaml");
    const { problems } = loadResourceFiles([file]);
    const short = problems.map((p) => ({ ...p, file: p.file === file ? "F" : p.file }));
    expect(short).toEqual([
      {
        file: "F",
        line: 35,
        column: 20,
        resource: "MetaRouter/hello",
        path: "spec.routes[0].match.attributes.method.regex",
        message: expect.stringMatching(/^regex does not compile: /),
      },
      {
        file: "F",
        line: 37,
        column: 9,
        resource: "MetaRouter/hello",
        path: "spec.routes[0].route",
        message: "weights must sum to 100 when there is more than one destination, found 90",
      },
      {
        file: "F",
        line: 39,
        column: 21,
        resource: "MetaRouter/hello",
        path: "spec.routes[0].route[0].destination.subset",
        message: 'unknown subset "v3": DestinationRule DestinationRule/thrift-hello does not define it',
      },
      {
        file: "F",
        line: 42,
        column: 19,
        resource: "MetaRouter/hello",
        path: "spec.routes[0].route[1].destination.host",
        message: 'unknown host "missing.default.svc.cluster.local": no ServiceEntry or Kubernetes Service defines it',
      },
    ]);
  });

  it("reports unknown kinds and apiVersions, missing fields and non-FQDN hosts", () => {
    const file = "shapes.yaml";
    const { resources, problems } = parseResources(readFileSync(testdata("invalid-shapes.yaml"), "utf8"), file);
    problems.push(...validateResources(resources));
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.resource} ${p.path}: ${p.message}`)).toEqual([
      'shapes.yaml:2:7 Gateway/nope kind: unknown kind "Gateway" (known: ServiceEntry, DestinationRule, ApplicationProtocol, MetaRouter, RedisService, RedisDestination, DubboAuthorizationPolicy, Service, Deployment, StatefulSet, Pod, Telemetry)',
      'shapes.yaml:7:13 ServiceEntry/old apiVersion: unknown apiVersion "networking.istio.io/v1alpha9" for ServiceEntry (known: networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1)',
      "shapes.yaml:18:3 ServiceEntry/no-ports spec.ports: required field is missing",
      "shapes.yaml:27:5 MetaRouter/two-hosts spec.hosts: must name exactly one host, found 2",
      'shapes.yaml:27:7 MetaRouter/two-hosts spec.hosts[0]: host "a.default.svc.cluster.local" has no MetaProtocol port (named tcp-metaprotocol-<protocol>-...) to route',
      'shapes.yaml:28:7 MetaRouter/two-hosts spec.hosts[1]: "b" is not a fully qualified host name',
    ]);
  });

  it("reports a YAML syntax error with its position", () => {
    const { problems } = parseResources("kind: [unclosed\n", "bad.yaml");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "bad.yaml", line: expect.any(Number) });
  });

  it("reports a subset when no DestinationRule exists for the host", () => {
    const { resources } = parseResources(
      `${readFileSync(testdata("invalid-meta-router.yaml"), "utf8").split("---")[0]}---${readFileSync(testdata("invalid-meta-router.yaml"), "utf8").split("---")[2]!}`,
      "x.yaml",
    );
    const problems = validateResources(resources);
    expect(problems.find((p) => p.path.endsWith("subset"))?.message).toBe('unknown subset "v3": no DestinationRule for host "hello.default.svc.cluster.local"');
  });
});
