/**
 * Tracing with real Dubbo peers (apache-dubbo-js consumer → Proxy → TypeScript provider): the
 * W3C traceparent the provider receives as an attachment names the span the proxy exported with
 * the OpenTelemetry SDK (OTLP/HTTP JSON lines in a file), under the consumer's trace.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDubboConsumer } from "../../fixtures/dubbo/consumer.ts";
import { startDubboProvider, type RunningDubboProvider } from "../../fixtures/dubbo/provider.ts";
import type { ListenerConfig } from "../config/types.ts";
import { Proxy } from "../proxy.ts";

const ROUTE = "hello.default.svc.cluster.local_20880";
const CLUSTER = "outbound|20880|v1|hello.default.svc.cluster.local";
const dir = mkdtempSync(join(tmpdir(), "meshsim-tracing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
}

function spansIn(file: string): OtlpSpan[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const lines = text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> });
  return lines.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
}

const attribute = (s: OtlpSpan, key: string) => Object.values(s.attributes.find((a) => a.key === key)?.value ?? {})[0];

describe("tracing through the proxy (Dubbo attachments)", () => {
  let provider: RunningDubboProvider;
  beforeAll(async () => {
    provider = await startDubboProvider({ service: "hello", version: "v1", instance: "hello-v1-0" });
  });
  afterAll(() => provider.close());

  /** A proxy whose listener traces `percent` of requests into `file`; closing it flushes the spans. */
  async function tracingProxy(file: string, percent: number | undefined): Promise<{ proxy: Proxy; port: number }> {
    const proxy = new Proxy({ tracing: { otlpFile: file, serviceName: "caller" } });
    proxy.setClusters([{ name: CLUSTER, lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
    proxy.setEndpoints([{ clusterName: CLUSTER, endpoints: [{ host: "127.0.0.1", port: provider.port }] }]);
    proxy.setRoutes([{ name: ROUTE, routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: CLUSTER } }] }]);
    const listener: ListenerConfig = { name: ROUTE, address: { host: "127.0.0.1", port: 0 }, codec: "dubbo", routeConfigName: ROUTE, statPrefix: "hello" };
    await proxy.setListeners([percent === undefined ? listener : { ...listener, tracing: { randomSamplingPercent: percent } }]);
    return { proxy, port: proxy.listeners.addresses()[ROUTE]!.port };
  }

  it("continues the consumer's trace: the provider's traceparent names the proxy's exported span", async () => {
    const file = join(dir, "continue.jsonl");
    const { proxy, port } = await tracingProxy(file, 0);
    const c = createDubboConsumer({ port });
    const parent = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };
    const r = await c.call("sayHello", ["t"], { traceparent: `00-${parent.traceId}-${parent.spanId}-01` });
    c.close();
    await proxy.close();
    const [span, ...more] = spansIn(file);
    expect(more).toEqual([]);
    expect(span).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.spanId, name: "meshsim.dubbo.HelloService/sayHello", kind: 3 /* CLIENT */ });
    expect(r.reply.attachments.traceparent).toBe(`00-${parent.traceId}-${span!.spanId}-01`);
    expect(attribute(span!, "meshsim.cluster")).toBe(CLUSTER);
    expect(attribute(span!, "server.address")).toBe(`127.0.0.1:${provider.port}`);
    expect(attribute(span!, "meshsim.outcome")).toBe("ok");
  });

  it("starts a trace for a sampled request without one, and leaves unsampled and untraced requests alone", async () => {
    const file = join(dir, "root.jsonl");
    const { proxy, port } = await tracingProxy(file, 100);
    const c = createDubboConsumer({ port });
    const rooted = await c.call("sayHello", ["a"]);
    const unsampled = await c.call("sayHello", ["b"], { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00" });
    c.close();
    await proxy.close();
    const spans = spansIn(file);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.parentSpanId ?? "").toBe("");
    expect(rooted.reply.attachments.traceparent).toBe(`00-${spans[0]!.traceId}-${spans[0]!.spanId}-01`);
    expect(unsampled.reply.attachments.traceparent).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");

    const offFile = join(dir, "off.jsonl");
    const off = await tracingProxy(offFile, undefined);
    const c2 = createDubboConsumer({ port: off.port });
    const untraced = await c2.call("sayHello", ["c"]);
    c2.close();
    await off.proxy.close();
    expect(untraced.reply.attachments.traceparent).toBeUndefined();
    expect(spansIn(offFile)).toEqual([]);
  });
});
