/**
 * Proxies that misbehave do not hold up the others: one never ACKs, one sends bytes that are
 * not a DiscoveryRequest, one asks for an unknown type and echoes stale nonces; one reconnects
 * and one subscribes late. The well-behaved proxy gets every version promptly throughout.
 */
import * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TYPE_URL } from "../../common/envoy-protos.ts";
import { loadResourceFiles } from "../resources/index.ts";
import { translate, type EnvoyResources } from "../translate/index.ts";
import { startXdsServer, type XdsServer } from "./server.ts";
import { SnapshotCache } from "./snapshot-cache.ts";
import { sotwStream, until, type SotwResponse, type TestStream } from "./testing.ts";
import { SOTW_PATH } from "./wire.ts";
import { XdsStatusTracker } from "./xds-status.ts";

const testdata = fileURLToPath(new URL("../testdata/thrift-hello.yaml", import.meta.url));
const base = translate(loadResourceFiles([testdata]).resources);

/** The same resources with the first route's name changed: one RDS resource differs. */
function variant(n: number): EnvoyResources {
  const out = structuredClone(base);
  out.routes[0]!.virtual_hosts[0]!.routes[0]!.name = `by-method-${n}`;
  return out;
}

let server: XdsServer | undefined;
const streams: Array<TestStream<unknown>> = [];
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  await server?.close();
  server = undefined;
});

async function ackLoop(s: TestStream<SotwResponse>, typeUrl: string, names: string[], count: number): Promise<SotwResponse[]> {
  const got: SotwResponse[] = [];
  for (let i = 0; i < count; i++) {
    const r = await s.next(2000);
    got.push(r);
    s.send({ type_url: typeUrl, resource_names: names, version_info: r.version_info, response_nonce: r.nonce });
  }
  return got;
}

describe("ADS robustness", () => {
  it("keeps pushing to a good proxy while others never ACK, send garbage, unknown types and stale nonces", async () => {
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    cache.set(base);
    server = await startXdsServer({ port: 0, cache, tracker });
    const routeName = base.routes[0]!.name;

    const silent = sotwStream(server.port);
    streams.push(silent as TestStream<unknown>);
    silent.send({ node: { id: "never-acks" }, type_url: TYPE_URL.route, resource_names: [routeName] });

    const garbageClient = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const garbage = garbageClient.makeBidiStreamRequest(
      SOTW_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    let garbageEnded = false;
    garbage.on("error", () => (garbageEnded = true));
    garbage.on("data", () => undefined);
    garbage.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));

    const odd = sotwStream(server.port);
    streams.push(odd as TestStream<unknown>);
    odd.send({ node: { id: "odd" }, type_url: "type.googleapis.com/envoy.config.core.v3.Unknown" });
    odd.send({ type_url: TYPE_URL.route, resource_names: [routeName] });
    const oddFirst = await odd.next();
    // A NACK echoing a nonce this stream never sent is stale: ignored.
    odd.send({ type_url: TYPE_URL.route, resource_names: [routeName], response_nonce: `${oddFirst.nonce}9`, error_detail: { code: 3, message: "stale" } });

    const good = sotwStream(server.port);
    streams.push(good as TestStream<unknown>);
    good.send({ node: { id: "good" }, type_url: TYPE_URL.route, resource_names: [routeName] });
    const pushes = (async () => {
      const first = await ackLoop(good, TYPE_URL.route, [routeName], 1);
      return [...first, ...(await ackLoop(good, TYPE_URL.route, [routeName], 5))];
    })();
    await until("good proxy's first ACK", () => tracker.status("1").proxies.find((p) => p.id === "good")?.types.RouteConfiguration?.ackedVersion === "1");
    for (let i = 2; i <= 6; i++) {
      cache.set(variant(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    const got = await pushes;
    expect(got.map((r) => r.version_info)).toEqual(["1", "2", "3", "4", "5", "6"]);
    await until("good proxy acked 6", () => tracker.status("6").proxies.find((p) => p.id === "good")?.types.RouteConfiguration?.ackedVersion === "6");
    await until("garbage stream ended", () => garbageEnded);
    garbageClient.close();

    const status = tracker.status("6");
    expect(status.proxies.find((p) => p.id === "never-acks")!.types.RouteConfiguration).toEqual({ sentVersion: "6", ackedVersion: undefined });
    // The unknown type was ignored and the stale NACK changed nothing.
    expect(status.proxies.find((p) => p.id === "odd")!.types).toEqual({ RouteConfiguration: { sentVersion: "6" } });
    expect(tracker.allAcked("6")).toBe(false);
  });

  it("serves a late subscriber and a reconnecting proxy the current state at once", async () => {
    const cache = new SnapshotCache();
    const tracker = new XdsStatusTracker();
    cache.set(base);
    server = await startXdsServer({ port: 0, cache, tracker });
    cache.set(variant(2));
    cache.set(variant(3));
    const late = sotwStream(server.port);
    late.send({ node: { id: "late" }, type_url: TYPE_URL.listener });
    const first = await late.next();
    expect(first.version_info).toBe("3");
    expect(first.resources).toHaveLength(1);
    late.send({ type_url: TYPE_URL.listener, version_info: "3", response_nonce: first.nonce });
    late.close();
    await until("disconnected", () => tracker.status("3").proxies[0]?.connected === false);

    const again = sotwStream(server.port);
    streams.push(again as TestStream<unknown>);
    again.send({ node: { id: "late" }, type_url: TYPE_URL.listener, version_info: "3" });
    const resent = await again.next();
    expect(resent.version_info).toBe("3");
    expect(resent.resources).toHaveLength(1);
    again.send({ type_url: TYPE_URL.listener, version_info: "3", response_nonce: resent.nonce });
    await until("acked after reconnect", () => tracker.allAcked("3") && tracker.status("3").proxies[0]!.connected);
    // An unchanged listener set is not re-sent on the next version, but counts as running it.
    cache.set(variant(4));
    expect(await again.quiet(150)).toBe(true);
    expect(tracker.status("4").proxies[0]!.types.Listener).toEqual({ sentVersion: "4", ackedVersion: "4" });
  });
});
