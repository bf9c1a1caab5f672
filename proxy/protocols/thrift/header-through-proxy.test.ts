/**
 * THeader end to end through the Proxy: route mutations land in THeader info headers on the
 * wire (request and response), seq ids stay consistent while the pool rewrites them, and a
 * listener's maxFrameSize refuses large frames. Peers are raw sockets speaking THeader written
 * by hand (neither npm nor Java Thrift has a working THeader peer); the upstream answers each
 * request with a REPLY carrying the request's seqid in both places.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Message } from "../../codec/codec.ts";
import { Proxy } from "../../proxy.ts";
import type { ThriftDetail } from "./codec.ts";
import { createThriftCodec } from "./index.ts";
import { HEADER_FIXED_SIZE, withInfoHeaders, wrapInHeaderFrame } from "./transport-header.ts";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const message = (name: string) => Buffer.from(readFileSync(join(testdata, name)));
const LISTENER = "hello_9090";

/** A THeader frame around an unframed binary message with `seqid` in both places and `headers`. */
function frame(unframed: Buffer, seqid: number, headers: Array<[string, string]>): Buffer {
  const m = Buffer.from(unframed);
  m.writeInt32BE(seqid, m.readInt32BE(4) + 8); // strict binary: seqid after version, name length, name
  const plain = wrapInHeaderFrame(m, "binary", seqid);
  return headers.length === 0
    ? plain
    : withInfoHeaders(
        plain,
        HEADER_FIXED_SIZE + 2,
        HEADER_FIXED_SIZE + 4,
        headers.map(([key, value]) => ({ key, value })),
      );
}

function decodeAll(bytes: Buffer): Message[] {
  const codec = createThriftCodec();
  const out: Message[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const r = codec.decode(bytes, offset);
    if (r.status !== "message") break;
    out.push(r.message);
    offset += r.consumed;
  }
  return out;
}

let upstream: Server;
const seenByUpstream: Message[] = [];
let proxy: Proxy;
let port: number;

beforeAll(async () => {
  const reply = message("unframed-binary-sayHello.response");
  upstream = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      const codec = createThriftCodec();
      let offset = 0;
      for (;;) {
        const r = codec.decode(pending, offset);
        if (r.status !== "message") break;
        offset += r.consumed;
        seenByUpstream.push({ ...r.message, frame: Buffer.from(r.message.frame) });
        socket.write(frame(reply, r.message.requestId, []));
      }
      pending = pending.subarray(offset);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  proxy = new Proxy({ tracing: { otlpFile: join(mkdtempSync(join(tmpdir(), "meshsim-theader-")), "spans.jsonl") } });
  proxy.setClusters([{ name: "hello", lbPolicy: "round_robin", connectTimeoutMs: 1000, connectionsPerEndpoint: 1 }]);
  proxy.setEndpoints([{ clusterName: "hello", endpoints: [{ host: "127.0.0.1", port: (upstream.address() as AddressInfo).port }] }]);
  proxy.setRoutes([
    {
      name: LISTENER,
      routes: [
        {
          name: "canary",
          match: [{ name: "x-user", kind: "exact", value: "alice" }],
          action: { kind: "cluster", cluster: "hello" },
          requestMutation: [{ key: "x-route", value: "canary" }],
          responseMutation: [{ key: "x-served-by", value: "meshsim" }],
        },
      ],
    },
  ]);
  await proxy.setListeners([{ name: LISTENER, address: { host: "127.0.0.1", port: 0 }, codec: "thrift", routeConfigName: LISTENER, statPrefix: "hello", maxFrameSize: 4096 }]);
  port = proxy.listeners.addresses()[LISTENER]!.port;
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => upstream.close(resolve));
});

/** Sends `bytes` on a new connection; resolves with everything received until `until` holds or the peer closes. */
function exchange(bytes: Buffer, until: (received: Buffer) => boolean): Promise<{ received: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out with ${received.length} bytes`));
    }, 5000);
    socket.on("data", (d) => {
      received = Buffer.concat([received, d]);
      if (until(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ received, closed: false });
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.on("error", () => undefined);
  });
}

it("writes request and response mutations into THeader info headers and keeps seq ids consistent", async () => {
  seenByUpstream.length = 0;
  const requests = [5, 6, 7].map((id) => frame(message("unframed-binary-sayHello.request"), id, [["x-user", "alice"]]));
  const { received } = await exchange(Buffer.concat(requests), (r) => decodeAll(r).length === 3);
  // Upstream: the client's header plus the route's, message seqid and frame seq id equal.
  expect(seenByUpstream).toHaveLength(3);
  for (const m of seenByUpstream) {
    expect(m.metadata.get("x-user")).toBe("alice");
    expect(m.metadata.get("x-route")).toBe("canary");
    expect((m.detail as ThriftDetail).headerSeqid).toBe(m.requestId);
  }
  // Client: its own ids back in both places, and the response mutation.
  const replies = decodeAll(received);
  expect(replies.map((m) => m.requestId).sort()).toEqual([5, 6, 7]);
  for (const m of replies) {
    expect(m.kind).toBe("response");
    expect(m.metadata.get("x-served-by")).toBe("meshsim");
    expect(m.frame.readInt32BE(8)).toBe(m.requestId);
  }
});

it("continues a W3C trace: the upstream sees a traceparent in the same trace with the proxy's own span id", async () => {
  const listener = proxy.listeners.dump()[0]!;
  await proxy.setListeners([{ ...listener, address: { host: "127.0.0.1", port }, tracing: { randomSamplingPercent: 0 } }]);
  try {
    seenByUpstream.length = 0;
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await exchange(
      frame(message("unframed-binary-sayHello.request"), 11, [
        ["x-user", "alice"],
        ["traceparent", parent],
      ]),
      (r) => decodeAll(r).length === 1,
    );
    const seen = seenByUpstream[0]!.metadata.get("traceparent");
    expect(seen).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(seen).not.toBe(parent);
  } finally {
    await proxy.setListeners([{ ...listener, address: { host: "127.0.0.1", port } }]);
  }
});

it("answers an unrouted THeader request with a TApplicationException in a THeader frame", async () => {
  const { received } = await exchange(frame(message("unframed-binary-sayHello.request"), 9, [["x-user", "bob"]]), (r) => decodeAll(r).length === 1);
  const [reply] = decodeAll(received);
  expect(reply!.kind).toBe("error");
  expect(reply!.requestId).toBe(9);
  expect((reply!.detail as ThriftDetail).transport).toBe("header");
});

it("refuses a frame above the listener's maxFrameSize without forwarding it", async () => {
  seenByUpstream.length = 0;
  const big = frame(message("unframed-binary-sayHello.request"), 1, [
    ["x-user", "alice"],
    ["pad", "p".repeat(5000)],
  ]);
  const { closed } = await exchange(big, () => false);
  expect(closed).toBe(true);
  expect(seenByUpstream).toHaveLength(0);
});
