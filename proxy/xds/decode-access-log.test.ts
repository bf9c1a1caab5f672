/**
 * Istio Telemetry `accessLogging` end to end through the wire encoding: parsing, translation to
 * the proxy filter's `access_log`, protobuf Any bytes, and the proxy's decoder.
 */
import { describe, expect, it } from "vitest";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { parseResources } from "../../control-plane/resources/index.ts";
import { validateResources } from "../../control-plane/resources/validate.ts";
import { translate } from "../../control-plane/translate/index.ts";
import { decodeListener } from "./decode.ts";
import { decodeAccessLog, FILE_ACCESS_LOG_TYPE } from "./decode-access-log.ts";

const SERVICES = `
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: hello}
spec:
  hosts: [hello.default.svc.cluster.local]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift-hello, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-metaprotocol-thrift-hello: 9091}}]
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: cache}
spec:
  hosts: [cache.default.svc.cluster.local]
  ports: [{number: 6379, name: tcp-redis, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1, ports: {tcp-redis: 6380}}]
`;

const MESH_WIDE = `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  accessLogging: [{providers: [{name: envoy}]}]
`;

function listeners(yaml: string) {
  const { resources, problems } = parseResources(yaml, "t.yaml");
  expect([...problems, ...validateResources(resources)]).toEqual([]);
  const out = translate(resources);
  const wire = (l: object) => {
    const any = encodeAny(TYPE_URL.listener, l);
    return decodeListener(decodeAny(any.type_url, any.value));
  };
  return Object.fromEntries(out.listeners.map((l) => [l.name, wire(l)]));
}

describe("access logging from Istio Telemetry", () => {
  it("is off without a Telemetry", () => {
    const ls = listeners(SERVICES);
    expect(ls["hello.default.svc.cluster.local_9090"]!.accessLog).toBeUndefined();
    expect(ls["cache.default.svc.cluster.local_6379"]!.accessLog).toBeUndefined();
  });

  it("a Telemetry without targets turns it on for every listener, MetaProtocol and Redis, to the sidecar's stdout", () => {
    const ls = listeners(SERVICES + "---" + MESH_WIDE);
    expect(ls["hello.default.svc.cluster.local_9090"]!.accessLog).toEqual({ path: "/dev/stdout" });
    expect(ls["cache.default.svc.cluster.local_6379"]!.accessLog).toEqual({ path: "/dev/stdout" });
  });

  it("a Telemetry naming a service decides for that service's listeners", () => {
    const off = `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: quiet-cache}
spec:
  targetRefs: [{kind: Service, name: cache}]
  accessLogging: [{disabled: true}]
`;
    const ls = listeners(SERVICES + "---" + MESH_WIDE + "---" + off);
    expect(ls["hello.default.svc.cluster.local_9090"]!.accessLog).toEqual({ path: "/dev/stdout" });
    expect(ls["cache.default.svc.cluster.local_6379"]!.accessLog).toBeUndefined();
  });

  it("names what it cannot honour, with the field", () => {
    const { problems } = parseResources(
      `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: t}
spec:
  selector: {matchLabels: {app: caller}}
  accessLogging:
    - providers: [{name: otel}]
      filter: {expression: "response.code >= 400"}
      match: {mode: SERVER}
`,
      "t.yaml",
    );
    expect(problems.map((p) => `${p.line}: ${p.path}: ${p.message.split(":")[0]}`)).toEqual([
      "6: spec.selector: a workload selector is not supported",
      "9: spec.accessLogging[0].filter: access log filters are not supported",
      "10: spec.accessLogging[0].match.mode: mode SERVER matches nothing here",
      '8: spec.accessLogging[0].providers[0].name: unsupported access log provider "otel" (meshsim has Istio\'s built-in "envoy"',
    ]);
  });

  it("tracing: the sampling share reaches MetaProtocol listeners; a targeted Telemetry can turn it off", () => {
    const tracing = (extra: string) => `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: traces${extra ? "-off" : ""}}
spec:
${extra}  tracing: [{randomSamplingPercentage: 25${extra ? ", disableSpanReporting: true" : ""}}]
`;
    expect(listeners(SERVICES + "---" + tracing(""))["hello.default.svc.cluster.local_9090"]!.tracing).toEqual({ randomSamplingPercent: 25 });
    const off = listeners(SERVICES + "---" + tracing("") + "---" + tracing("  targetRefs: [{kind: ServiceEntry, name: hello}]\n"));
    expect(off["hello.default.svc.cluster.local_9090"]!.tracing).toBeUndefined();
    expect(listeners(SERVICES)["hello.default.svc.cluster.local_9090"]!.tracing).toBeUndefined();
  });

  it("names a target ServiceEntry that does not exist", () => {
    const { resources } = parseResources(
      SERVICES + "---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t}\nspec:\n  targetRefs: [{kind: ServiceEntry, name: helo}]\n  accessLogging: [{}]\n",
      "t.yaml",
    );
    expect(validateResources(resources).map((p) => `${p.line}: ${p.path}: ${p.message}`)).toEqual(['24: spec.targetRefs[0].name: unknown ServiceEntry "default/helo"']);
  });

  it("the proxy refuses an access log it would not honour, by field", () => {
    const file = (extra: object) => [{ name: "envoy.access_loggers.file", typed_config: { "@type": FILE_ACCESS_LOG_TYPE, path: "/tmp/x.log", ...extra } }];
    expect(decodeAccessLog(file({}), "l")).toEqual({ path: "/tmp/x.log" });
    expect(() => decodeAccessLog(file({ log_format: { json_format: {} } }), "l")).toThrow("l.access_log[0].typed_config: a log format is not supported");
    expect(() => decodeAccessLog([{ name: "x", typed_config: { "@type": "type.googleapis.com/x.Grpc" } }], "l")).toThrow(/unsupported access logger "type.googleapis.com\/x.Grpc"/);
    expect(() => decodeAccessLog([...file({}), ...file({})], "l")).toThrow(/only one access logger/);
  });
});
