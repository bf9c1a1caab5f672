/**
 * THeader transport and TMultiplexedProtocol metadata. The npm and Java Thrift libraries have
 * no working THeader peer, so THeader frames here are written out by hand from the spec
 * (HeaderFormat.md) around messages captured from the npm client.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Message } from "../../codec/codec.ts";
import type { ThriftDetail } from "./codec.ts";
import { createThriftCodec } from "./index.ts";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const load = (name: string): Buffer => Buffer.from(readFileSync(join(testdata, name)));

/** A THeader frame by hand: fixed part, protocol id, no transforms, one KEYVALUE section, padding. */
function headerFrame(payload: Buffer, opts: { protocolId?: number; seqid?: number; headers?: Array<[string, string]>; transforms?: number[] } = {}): Buffer {
  const header: number[] = [opts.protocolId ?? 0, (opts.transforms ?? []).length, ...(opts.transforms ?? [])];
  const headers = opts.headers ?? [];
  if (headers.length > 0) {
    header.push(1, headers.length);
    for (const [k, v] of headers) header.push(k.length, ...Buffer.from(k), v.length, ...Buffer.from(v));
  }
  while (header.length % 4 !== 0) header.push(0);
  const fixed = Buffer.alloc(14);
  fixed.writeInt32BE(10 + header.length + payload.length, 0);
  fixed.writeUInt16BE(0x0fff, 4);
  fixed.writeInt32BE(opts.seqid ?? 0, 8);
  fixed.writeUInt16BE(header.length / 4, 12);
  return Buffer.concat([fixed, Buffer.from(header), payload]);
}

function decodeOne(input: Buffer, codec = createThriftCodec()): Message {
  const r = codec.decode(input, 0);
  if (r.status !== "message") throw new Error(`expected a message, got ${r.status}${r.status === "error" ? `: ${r.error.message}` : ""}`);
  expect(r.consumed).toBe(input.length);
  return r.message;
}

const sayHelloBinary = () => load("unframed-binary-sayHello.request");
const sayHelloCompact = () => load("unframed-compact-sayHello.request");

describe("THeader transport", () => {
  it("matches a frame written byte by byte from the spec", () => {
    // len=63 | magic 0fff | flags 0 | seqid 1 | 5 words | proto 0, 0 transforms | KEYVALUE, 1 pair | "x-user" "alice" | pad
    const expected = Buffer.from("0000003f0fff000000000001000500000101" + "06782d75736572" + "05616c696365" + "0000", "hex");
    const frame = headerFrame(sayHelloBinary(), { seqid: 1, headers: [["x-user", "alice"]] });
    expect(frame.subarray(0, expected.length)).toEqual(expected);
  });

  it.each([
    ["binary", 0, sayHelloBinary],
    ["compact", 2, sayHelloCompact],
  ] as const)("decodes %s payloads: info headers and method become metadata", (protocol, protocolId, payload) => {
    const codec = createThriftCodec();
    const frame = headerFrame(payload(), {
      protocolId,
      seqid: 1,
      headers: [
        ["x-user", "alice"],
        ["x-env", "test"],
      ],
    });
    const m = decodeOne(frame, codec);
    expect(codec.detectedTransport).toBe("header");
    expect(m.kind).toBe("request");
    expect(m.requestId).toBe(1);
    expect(Object.fromEntries(m.metadata)).toEqual({ "x-user": "alice", "x-env": "test", method: "sayHello" });
    expect((m.detail as ThriftDetail).protocol).toBe(protocol);
    expect(m.frame).toEqual(frame);
  });

  it("needs more data at every split point and decodes pipelined frames", () => {
    const a = headerFrame(sayHelloBinary(), { seqid: 1, headers: [["k", "v"]] });
    const b = headerFrame(load("unframed-binary-echo.request"), { seqid: 1 });
    const both = Buffer.concat([a, b]);
    for (let cut = 0; cut < a.length; cut++) {
      expect(createThriftCodec().decode(both.subarray(0, cut), 0).status).toBe("need_more_data");
    }
    const codec = createThriftCodec();
    const first = codec.decode(both, 0);
    expect(first.status).toBe("message");
    const second = codec.decode(both, a.length);
    expect(second.status === "message" && second.message.metadata.get("method")).toBe("echo");
  });

  it("passes bytes through with an empty mutation and writes a mutation as info headers", () => {
    const codec = createThriftCodec();
    const frame = headerFrame(sayHelloCompact(), { protocolId: 2, seqid: 1, headers: [["x-user", "alice"]] });
    const m = decodeOne(frame, codec);
    expect(codec.encode(m)).toBe(m.frame);
    expect(codec.encode(m, [])).toBe(m.frame);
    const mutated = codec.encode(m, [
      { key: "x-route", value: "canary" },
      { key: "x-user", value: "bob" },
    ]);
    expect(codec.mutationsIgnored).toBe(0);
    const again = decodeOne(mutated);
    expect(Object.fromEntries(again.metadata)).toEqual({ "x-user": "bob", "x-route": "canary", method: "sayHello" });
    // The message itself travels unchanged.
    expect(mutated.subarray(mutated.length - sayHelloCompact().length)).toEqual(sayHelloCompact());
    expect(mutated.readUInt16BE(12) * 4).toBe(mutated.length - 14 - sayHelloCompact().length);
  });

  it("mutation and a seqid rewrite together", () => {
    const codec = createThriftCodec();
    const m = decodeOne(headerFrame(sayHelloBinary(), { seqid: 1 }), codec);
    m.requestId = 777;
    const out = decodeOne(codec.encode(m, [{ key: "a", value: "b" }]));
    expect(out.requestId).toBe(777);
    expect(out.metadata.get("a")).toBe("b");
    expect(out.frame.readInt32BE(8)).toBe(777);
  });

  it.each([
    ["binary", 0, sayHelloBinary],
    ["compact", 2, sayHelloCompact],
  ] as const)("%s: the frame's sequence number follows the message seqid when they were equal", (_p, protocolId, payload) => {
    const codec = createThriftCodec();
    const m = decodeOne(headerFrame(payload(), { protocolId, seqid: 1 }), codec);
    m.requestId = 300000;
    const rewritten = codec.encode(m);
    const r = decodeOne(rewritten);
    expect(r.requestId).toBe(300000);
    expect(rewritten.readInt32BE(8)).toBe(300000);
    // ... and back, as the upstream pool restores ids on responses.
    r.requestId = 1;
    const restored = createThriftCodec();
    const back = decodeOne(rewritten, restored);
    back.requestId = 1;
    expect(restored.encode(back).readInt32BE(8)).toBe(1);
  });

  it("leaves a frame sequence number that differs from the message seqid as the peer wrote it", () => {
    const codec = createThriftCodec();
    const m = decodeOne(headerFrame(sayHelloBinary(), { seqid: 0 }), codec);
    m.requestId = 42;
    const out = codec.encode(m);
    expect(out.readInt32BE(8)).toBe(0);
    expect(decodeOne(out).requestId).toBe(42);
  });

  it("answers with a TApplicationException in a THeader frame of the request's protocol", () => {
    for (const [protocolId, payload] of [
      [0, sayHelloBinary],
      [2, sayHelloCompact],
    ] as const) {
      const codec = createThriftCodec();
      const m = decodeOne(headerFrame(payload(), { protocolId, seqid: 1 }), codec);
      const reply = decodeOne(codec.localReply(m, { kind: "no_route", message: "nothing matched" }));
      expect(reply.kind).toBe("error");
      expect(reply.requestId).toBe(1);
      expect(reply.frame.readInt32BE(8)).toBe(1);
      expect((reply.detail as ThriftDetail).transport).toBe("header");
      expect((reply.detail as ThriftDetail).protocol).toBe(protocolId === 0 ? "binary" : "compact");
      expect(reply.frame.includes(Buffer.from("meshsim: no_route: nothing matched"))).toBe(true);
    }
  });

  it("refuses transforms as unsupported, oversize frames as too_large, and missing magic as malformed", () => {
    const transformed = createThriftCodec().decode(headerFrame(sayHelloBinary(), { transforms: [1] }), 0);
    expect(transformed.status === "error" && transformed.error.code).toBe("unsupported");
    const big = headerFrame(Buffer.concat([sayHelloBinary()]), { headers: [["k", "v".repeat(200)]] });
    const tooLarge = createThriftCodec({ maxFrameSize: 100 }).decode(big.subarray(0, 8), 0);
    expect(tooLarge.status === "error" && tooLarge.error.code).toBe("too_large");
    const codec = createThriftCodec();
    decodeOne(headerFrame(sayHelloBinary()), codec);
    const plainFramed = load("framed-binary-sayHello.request");
    const r = codec.decode(plainFramed, 0);
    expect(r.status === "error" && r.error.code).toBe("malformed");
  });
});

describe("TMultiplexedProtocol", () => {
  it("exposes service and method from `service:method` (captured from the npm Multiplexer)", () => {
    const m = decodeOne(load("framed-binary-multiplexed.request"));
    expect(Object.fromEntries(m.metadata)).toEqual({ service: "Hello", method: "sayHello" });
    expect((m.detail as ThriftDetail).method).toBe("Hello:sayHello");
    const reply = decodeOne(load("framed-binary-multiplexed.response"));
    expect(reply.metadata.get("method")).toBe("sayHello");
  });

  it("local replies name the bare method, as a multiplexed server's replies do", () => {
    const codec = createThriftCodec();
    const m = decodeOne(load("framed-binary-multiplexed.request"), codec);
    const reply = decodeOne(codec.localReply(m, { kind: "timeout", message: "slow" }));
    expect((reply.detail as ThriftDetail).method).toBe("sayHello");
  });
});

describe("mutation without a header slot", () => {
  it("is ignored on framed and unframed transports, counted, and visible in counters", () => {
    const codec = createThriftCodec();
    const m = decodeOne(load("framed-binary-sayHello.request"), codec);
    expect(codec.encode(m, [{ key: "x", value: "y" }])).toBe(m.frame);
    expect(codec.counters).toEqual({ mutationsIgnored: 1 });
  });
});
