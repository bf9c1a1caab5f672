import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderBundle } from "../scripts/write-protos.ts";
import { bundlePath, PROTO_BUNDLES, protoRoot, type ProtoBundle } from "./proto-bundles.ts";

describe("shipped proto bundles", () => {
  for (const bundle of Object.keys(PROTO_BUNDLES) as ProtoBundle[]) {
    it(`${bundle}.json is what \`npm run protos\` writes from the .proto files today`, () => {
      expect(readFileSync(bundlePath(bundle), "utf8") === renderBundle(bundle), `common/protos/${bundle}.json is stale: run npm run protos`).toBe(true);
    });
  }

  it("each bundle has the types its users look up, with snake_case fields", () => {
    expect(protoRoot("xds").lookupType("envoy.config.cluster.v3.Cluster").fields.connect_timeout).toBeDefined();
    expect(protoRoot("envoy-native").lookupType("envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration")).toBeDefined();
    expect(protoRoot("ratelimit").lookupType("envoy.service.ratelimit.v3.RateLimitRequest").fields.hits_addend).toBeDefined();
    expect(() => protoRoot("xds").lookupType("envoy.service.ratelimit.v3.RateLimitRequest")).toThrow(/no such type/);
  });
});
