import { describe, expect, it } from "vitest";
import { decodeCluster, decodeClusterLoadAssignment, decodeRouteConfiguration } from "./decode.ts";

const rc = (headers: object[], route: object = { cluster: "c" }) => ({
  name: "h_9090",
  virtual_hosts: [{ name: "h_9090", domains: ["*"], routes: [{ name: "r", match: { prefix: "/", headers }, route }] }],
});

describe("decode Envoy resources", () => {
  it("decodes every header match form Aeraki serves, old and new", () => {
    const decoded = decodeRouteConfiguration(
      rc([
        { name: "a", exact_match: "x" },
        { name: "b", prefix_match: "y" },
        { name: "c", safe_regex_match: { regex: "^z$" } },
        { name: "d", present_match: true },
        { name: "e", string_match: { exact: "x" } },
        { name: "f", string_match: { prefix: "y" } },
        { name: "g", string_match: { safe_regex: { regex: "^z$" } } },
      ]),
    );
    expect(decoded.routes[0]!.match).toEqual([
      { name: "a", kind: "exact", value: "x" },
      { name: "b", kind: "prefix", value: "y" },
      { name: "c", kind: "regex", value: "^z$" },
      { name: "d", kind: "present" },
      { name: "e", kind: "exact", value: "x" },
      { name: "f", kind: "prefix", value: "y" },
      { name: "g", kind: "regex", value: "^z$" },
    ]);
  });

  it("decodes weighted clusters", () => {
    const decoded = decodeRouteConfiguration(
      rc([], {
        weighted_clusters: {
          clusters: [
            { name: "a", weight: { value: 30 } },
            { name: "b", weight: { value: 70 } },
          ],
        },
      }),
    );
    expect(decoded.routes[0]!.action).toEqual({
      kind: "weighted",
      clusters: [
        { name: "a", weight: 30 },
        { name: "b", weight: 70 },
      ],
    });
  });

  it("rejects header match forms it cannot honour", () => {
    expect(() => decodeRouteConfiguration(rc([{ name: "a", suffix_match: "x" }]))).toThrow('route configuration h_9090, route r: unsupported header match for "a" (suffix_match)');
    expect(() => decodeRouteConfiguration(rc([{ name: "a", exact_match: "x", invert_match: true }]))).toThrow(/invert_match/);
    expect(() => decodeRouteConfiguration(rc([{ name: "a", string_match: { exact: "x", ignore_case: true } }]))).toThrow(/unsupported header match/);
    expect(() => decodeRouteConfiguration(rc([], { cluster_header: "x" }))).toThrow(/unsupported route action/);
    const pathMatch = { name: "h", virtual_hosts: [{ routes: [{ name: "r", match: { path: "/x" }, route: { cluster: "c" } }] }] };
    expect(() => decodeRouteConfiguration(pathMatch)).toThrow("route configuration h, route r: unsupported match path");
  });

  it("decodes clusters and endpoints, rejecting what it cannot run", () => {
    expect(decodeCluster({ name: "c", type: "EDS", lb_policy: "ROUND_ROBIN", connect_timeout: { seconds: "1", nanos: 500000000 } })).toEqual({
      name: "c",
      lbPolicy: "round_robin",
      connectTimeoutMs: 1500,
      connectionsPerEndpoint: 1,
    });
    expect(() => decodeCluster({ name: "c", type: "EDS", lb_policy: "CLUSTER_PROVIDED" })).toThrow(/unsupported lb_policy CLUSTER_PROVIDED/);
    expect(decodeClusterLoadAssignment({ cluster_name: "c", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 1 } } } }] }] })).toEqual({
      clusterName: "c",
      endpoints: [{ host: "127.0.0.1", port: 1 }],
    });
  });
});
