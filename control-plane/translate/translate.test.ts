import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadResourceFiles } from "../resources/index.ts";
import { metaProtocolOfPort, translate, translateRoutes } from "./index.ts";

const testdata = (name: string) => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));
const golden = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(actual: unknown, name: string): void {
  const file = golden(name);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, text);
  expect(existsSync(file), `${name} missing; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(file, "utf8"));
}

function load(name: string) {
  const { resources, problems } = loadResourceFiles([testdata(name)]);
  expect(problems).toEqual([]);
  return resources;
}

describe("translate", () => {
  it("chooses the protocol by port name", () => {
    expect(metaProtocolOfPort("tcp-metaprotocol-thrift-hello")).toBe("thrift");
    expect(metaProtocolOfPort("tcp-metaprotocol-dubbo")).toBe("dubbo");
    expect(metaProtocolOfPort("tcp-redis")).toBeUndefined();
    expect(metaProtocolOfPort("grpc-web")).toBeUndefined();
  });

  it("translates a ServiceEntry, DestinationRule and MetaRouter (golden)", () => {
    const out = translate(load("thrift-hello.yaml"));
    expectGolden(out.clusters, "thrift-hello.clusters.json");
    expectGolden(out.endpoints, "thrift-hello.endpoints.json");
    expectGolden(out.listeners, "thrift-hello.listeners.json");
    expectGolden(out.routes, "thrift-hello.routes.json");
  });

  it("routes everything to the service's cluster without a MetaRouter (golden)", () => {
    const resources = load("thrift-hello.yaml").filter((r) => r.kind !== "MetaRouter");
    expectGolden(translateRoutes(resources), "no-router.routes.json");
  });

  it("is deterministic", () => {
    const resources = load("thrift-hello.yaml");
    expect(JSON.stringify(translate(resources))).toBe(JSON.stringify(translate([...resources].reverse())));
  });
});

describe("translate policies", () => {
  it("encodes mirror, mutations, hash policy, extension, rate limits, authorization and cluster policies (golden)", () => {
    const out = translate(load("policies.yaml"));
    expectGolden(out.clusters, "policies.clusters.json");
    expectGolden(out.listeners, "policies.listeners.json");
    expectGolden(out.routes, "policies.routes.json");
  });
});
