/**
 * A provider that checks an idle upstream link with a heartbeat (as Dubbo's Java provider does
 * after a minute) gets its answer from the proxy, and no in-flight request mistakes it for a
 * response.
 */
import { describe, expect, it, vi } from "vitest";
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { Proxy } from "../proxy.ts";
import { createDubboCodec } from "../protocols/dubbo/index.ts";
import { MessageReader } from "./message-reader.ts";
import type { Message } from "../codec/codec.ts";

const require = createRequire(import.meta.url);
const HeartBeat = require("apache-dubbo-js/es7/heartbeat.js").default as { encode(): Buffer };

describe("upstream heartbeats", () => {
  it("are answered by the proxy on the upstream link", async () => {
    const received: Message[] = [];
    let upstream: Socket | undefined;
    const provider = createServer((socket) => {
      upstream = socket;
      const codec = createDubboCodec();
      const reader = new MessageReader(codec, { onMessage: (m) => received.push(m), onDecodeError: () => socket.destroy() });
      socket.on("data", (d: Buffer) => reader.push(d));
    });
    await new Promise<void>((r) => provider.listen(0, "127.0.0.1", () => r()));
    const providerPort = (provider.address() as { port: number }).port;
    const proxy = new Proxy();
    try {
      proxy.setClusters([{ name: "c", lbPolicy: "round_robin", connectTimeoutMs: 500, connectionsPerEndpoint: 1 }]);
      proxy.setEndpoints([{ clusterName: "c", endpoints: [{ host: "127.0.0.1", port: providerPort }] }]);
      proxy.setRoutes([{ name: "r", routes: [{ name: "all", match: [], action: { kind: "cluster", cluster: "c" } }] }]);
      await proxy.setListeners([{ name: "l", address: { host: "127.0.0.1", port: 0 }, codec: "dubbo", routeConfigName: "r", statPrefix: "l" }]);
      // A client's own heartbeat is answered by the proxy and never forwarded.
      const client = require("node:net").connect({ host: "127.0.0.1", port: proxy.listeners.addresses().l!.port }) as Socket;
      await new Promise<void>((r) => client.on("connect", () => r()));
      client.write(HeartBeat.encode()); // answered by the proxy itself, never forwarded
      const clientGot = await new Promise<Buffer>((r) => client.once("data", (d: Buffer) => r(d)));
      expect(clientGot.readUInt16BE(0)).toBe(0xdabb);
      expect(received).toHaveLength(0);
      // The provider side: open the proxy's upstream link with a oneway message.
      const pick = proxy.clusters.pick("c", "dubbo", createDubboCodec);
      expect(pick.ok).toBe(true);
      if (!pick.ok) return;
      const probe = createDubboCodec();
      const hb = probe.decode(HeartBeat.encode(), 0);
      if (hb.status !== "message") throw new Error("cannot decode heartbeat fixture");
      hb.message.kind = "oneway"; // send it as a oneway so the client opens the socket without tracking it
      pick.client.send(hb.message, probe, { onUpstreamResponse() {}, onUpstreamFailure() {} });
      await vi.waitFor(() => expect(upstream).toBeDefined());
      received.length = 0;
      // The provider sends a heartbeat request up the link; the proxy must answer it.
      const answer = new Promise<Buffer>((r) => upstream!.once("data", (d: Buffer) => r(d)));
      upstream!.write(HeartBeat.encode());
      const reply = await answer;
      expect(reply.readUInt16BE(0)).toBe(0xdabb);
      expect(reply[2]! & 0x80).toBe(0); // a response
      expect(reply[2]! & 0x20).toBe(0x20); // an event
      expect(proxy.stats.get("cluster.c.upstream_heartbeat")).toBe(1);
      expect(proxy.stats.get("cluster.c.upstream_rq_orphaned")).toBe(0);
      client.destroy();
    } finally {
      await proxy.close();
      await new Promise((r) => provider.close(() => r(undefined)));
    }
  });
});
