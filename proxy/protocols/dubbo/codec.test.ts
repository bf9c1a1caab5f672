/**
 * Dubbo codec tests. Request bytes come from apache-dubbo-js's own encoder (the real client
 * code), response bodies from hessian.js, so the codec is checked against independent peers.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { Message } from "../../codec/codec.ts";
import { decoderV2, encoderV2 } from "../../../fixtures/dubbo/hessian-peer.ts";
import { DubboCodec, isDubboDetail } from "./codec.ts";
import { countParameterTypes } from "./descriptor.ts";
import { HessianReader } from "./hessian2/reader.ts";
import { HessianWriter } from "./hessian2/writer.ts";
import { readRequestId, writeRequestId } from "./header.ts";
import { Context, DubboEncoder, HeartBeat, java } from "./testdata/dubbo-js.ts";

function dubboJsRequest(p: { method: string; args?: unknown[]; version?: string; group?: string; attachments?: Record<string, string>; requestId?: number }): Buffer {
  const ctx = Context.create();
  ctx.requestId = p.requestId ?? 7;
  ctx.dubboVersion = "2.0.2";
  ctx.dubboInterface = "meshsim.dubbo.HelloService";
  ctx.path = "meshsim.dubbo.HelloService";
  ctx.methodName = p.method;
  ctx.methodArgs = p.args ?? [];
  if (p.version) ctx.version = p.version;
  if (p.group) ctx.group = p.group;
  if (p.attachments) ctx.attachments = p.attachments;
  return new DubboEncoder(ctx).encode();
}

function response(body: Buffer, opts: { id?: number; status?: number; flags?: number } = {}): Buffer {
  const out = Buffer.alloc(16 + body.length);
  out.writeUInt16BE(0xdabb, 0);
  out[2] = opts.flags ?? 0x02;
  out[3] = opts.status ?? 20;
  writeRequestId(out, 4, opts.id ?? 7);
  out.writeInt32BE(body.length, 12);
  body.copy(out, 16);
  return out;
}

function decodeOne(codec: DubboCodec, bytes: Buffer): Message {
  const r = codec.decode(bytes, 0);
  if (r.status !== "message") throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  expect(r.consumed).toBe(bytes.length);
  return r.message;
}

/** Reads a request body with hessian.js: [dubboVersion, path, version, method, desc, ...args, attachments]. */
function peerReadRequest(frame: Buffer): { head: unknown[]; args: unknown[]; attachments: Record<string, unknown> } {
  const d = decoderV2(frame.subarray(16));
  const head = [d.read(), d.read(), d.read(), d.read(), d.read()];
  const args: unknown[] = [];
  for (let i = 0; i < countParameterTypes(String(head[4] ?? "")); i++) args.push(d.read());
  return { head, args, attachments: d.read() as Record<string, unknown> };
}

describe("dubbo codec: requests", () => {
  it("reads interface, method, version, group and every string attachment, skipping arguments of every kind", () => {
    const args = [
      java.String("héllo 😀 wörld"),
      java.int(-70000),
      java.long(2 ** 40),
      java.double(3.25),
      java.Boolean(true),
      java.array("java.lang.String", ["a", "b"]),
      java.combine("meshsim.dubbo.User", { id: 1, name: "n", tags: ["x"], nested: java.combine("meshsim.dubbo.Address", { city: "c" }) }),
      java.Map({ k: "v" }),
      java.combine("java.util.Date", new Date(0)),
      java.List(["p", 1]),
    ];
    const bytes = dubboJsRequest({ method: "getUser", args, version: "1.0.0", group: "blue", attachments: { tenant: "acme", "x-trace": "t1" } });
    const codec = new DubboCodec();
    const m = decodeOne(codec, bytes);
    expect(m.kind).toBe("request");
    expect(m.requestId).toBe(7);
    expect(Object.fromEntries(m.metadata)).toMatchObject({
      interface: "meshsim.dubbo.HelloService",
      method: "getUser",
      version: "1.0.0",
      group: "blue",
      tenant: "acme",
      "x-trace": "t1",
      path: "meshsim.dubbo.HelloService",
    });
    expect(m.frame.buffer).toBe(bytes.buffer); // a view, no copy
    expect(codec.encode(m)).toBe(m.frame);
  });

  it("waits for a whole frame, one byte at a time, without consuming", () => {
    const bytes = dubboJsRequest({ method: "sayHello", args: [java.String("x")] });
    const codec = new DubboCodec();
    for (let n = 0; n < bytes.length; n++) expect(codec.decode(bytes.subarray(0, n), 0).status).toBe("need_more_data");
    expect(codec.decode(bytes, 0).status).toBe("message");
  });

  it("decodes pipelined frames at an offset", () => {
    const a = dubboJsRequest({ method: "a", requestId: 1 });
    const b = dubboJsRequest({ method: "b", requestId: 2 });
    const all = Buffer.concat([a, b]);
    const codec = new DubboCodec();
    const first = codec.decode(all, 0);
    expect(first.status).toBe("message");
    const second = codec.decode(all, a.length);
    expect(second.status === "message" && second.message.metadata.get("method")).toBe("b");
  });

  it("rewrites the request id in place and reads it back", () => {
    const codec = new DubboCodec();
    const m = decodeOne(codec, dubboJsRequest({ method: "sayHello", args: [java.String("x")], requestId: 5 }));
    m.requestId = 2 ** 40 + 3;
    const out = codec.encode(m);
    expect(out).toBe(m.frame);
    expect(readRequestId(out, 4)).toBe(2 ** 40 + 3);
    expect(decodeOne(new DubboCodec(), out).requestId).toBe(2 ** 40 + 3);
  });

  it("restores wide ids (Dubbo 3 starts at a random long) exactly, kept with their request, no table shared between codecs", () => {
    const bytes = dubboJsRequest({ method: "sayHello" });
    bytes.writeBigInt64BE(-5n, 4);
    expect(decodeOne(new DubboCodec(), bytes).requestId).toBe(-5);
    const wide = 8652490905798464591n;
    bytes.writeBigInt64BE(wide, 4);
    const downstream = new DubboCodec();
    const m = decodeOne(downstream, bytes);
    expect(m.requestId).toBeLessThanOrEqual(-(2 ** 52));
    // Stand-ins differ within one codec: two wide requests on a connection stay apart.
    expect(decodeOne(downstream, Buffer.from(bytes)).requestId).not.toBe(m.requestId);
    // The proxy's path: rewrite to an upstream id; the upstream connection's codec encodes the
    // reply with the stand-in, and the downstream codec writes the request's own id bytes.
    const original = m.requestId;
    m.requestId = 17;
    const upstream = new DubboCodec().encode(m);
    expect(upstream.readBigInt64BE(4)).toBe(17n);
    const upstreamCodec = new DubboCodec();
    const resp = decodeOne(upstreamCodec, response(encoderV2().writeInt(2).get(), { id: 17 }));
    resp.requestId = original;
    const reply = upstreamCodec.encode(resp);
    expect(reply.readBigInt64BE(4)).not.toBe(wide);
    downstream.restoreRequestId(reply, m);
    expect(reply.readBigInt64BE(4)).toBe(wide);
    // A local reply carries it too (encode above rewrote the id inside `bytes`).
    bytes.writeBigInt64BE(wide, 4);
    const m2 = decodeOne(downstream, bytes);
    expect(downstream.localReply(m2, { kind: "no_route", message: "x" }).readBigInt64BE(4)).toBe(wide);
    // Narrow ids are left alone.
    const narrow = decodeOne(downstream, dubboJsRequest({ method: "sayHello", requestId: 9 }));
    const out = Buffer.from(reply);
    downstream.restoreRequestId(out, narrow);
    expect(out.equals(reply)).toBe(true);
  });

  it("oneway requests are kind oneway", () => {
    const bytes = dubboJsRequest({ method: "notify" });
    bytes[2] = bytes[2]! & ~0x40;
    expect(decodeOne(new DubboCodec(), bytes).kind).toBe("oneway");
  });

  it("writes a request mutation into the attachments, body before them copied, body length fixed", () => {
    const args = [java.String("x"), java.combine("meshsim.dubbo.User", { id: 1 })];
    const bytes = dubboJsRequest({ method: "getUser", args, attachments: { tenant: "acme", keep: "me" } });
    const codec = new DubboCodec();
    const m = decodeOne(codec, bytes);
    const original = Buffer.from(bytes);
    m.requestId = 99;
    const out = codec.encode(m, [
      { key: "tenant", value: "override" },
      { key: "x-added", value: "1" },
      { key: "x-added", value: "2" },
    ]);
    expect(out).not.toBe(m.frame);
    expect(m.frame.equals(original)).toBe(true); // the received frame is left as it was
    expect(out.readInt32BE(12)).toBe(out.length - 16);
    expect(readRequestId(out, 4)).toBe(99);
    const attachmentsOffset = isDubboDetail(m.detail) ? m.detail.attachmentsOffset : -1;
    expect(out.subarray(16, attachmentsOffset).equals(original.subarray(16, attachmentsOffset))).toBe(true);
    const peer = peerReadRequest(out);
    expect(peer.head[3]).toBe("getUser");
    expect(peer.args[0]).toBe("x");
    expect(peer.attachments).toMatchObject({ tenant: "override", keep: "me", "x-added": "2", path: "meshsim.dubbo.HelloService" });
    const again = decodeOne(new DubboCodec(), out);
    expect(again.metadata.get("tenant")).toBe("override");
  });

  it("rejects bad magic, negative and oversized lengths and malformed bodies with a CodecError, never throwing", () => {
    const codec = new DubboCodec({ maxFrameSize: 1024 });
    const http = codec.decode(Buffer.from("GET / HTTP/1.1\r\n\r\n"), 0);
    expect(http.status === "error" && http.error.code).toBe("malformed");
    const big = response(Buffer.alloc(0));
    big.writeInt32BE(4096, 12);
    const tooLarge = codec.decode(big, 0);
    expect(tooLarge.status === "error" && tooLarge.error.code).toBe("too_large");
    const neg = response(Buffer.alloc(0));
    neg.writeInt32BE(-1, 12);
    expect(codec.decode(neg, 0).status).toBe("error");
    const truncated = dubboJsRequest({ method: "sayHello", args: [java.String("x")] });
    const cut = truncated.subarray(0, truncated.length - 5);
    const fixed = Buffer.from(cut);
    fixed.writeInt32BE(fixed.length - 16, 12);
    const bad = codec.decode(fixed, 0);
    expect(bad.status === "error" && bad.error.code).toBe("malformed");
    const json = dubboJsRequest({ method: "sayHello" });
    json[2] = (json[2]! & ~0x1f) | 6; // fastjson
    const unsupported = codec.decode(json, 0);
    expect(unsupported.status === "error" && unsupported.error.code).toBe("unsupported");
  });

  it("never throws on random bodies behind a valid header", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (body, flags) => {
        const frame = response(Buffer.from(body), { flags });
        const r = new DubboCodec().decode(frame, 0);
        expect(["message", "error"]).toContain(r.status);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("dubbo codec: responses, events and local replies", () => {
  const value = (type: number, v: unknown, attachments?: Record<string, string>) => {
    const e = encoderV2().writeInt(type);
    if (v !== undefined) e.write(v);
    if (attachments) e.write(attachments);
    return e.get();
  };

  it("classifies every status; non-OK is kind error", () => {
    for (const status of [20, 30, 31, 40, 50, 60, 70, 80, 90, 100]) {
      const body = status === 20 ? value(2, undefined) : encoderV2().write("why").get();
      const m = decodeOne(new DubboCodec(), response(body, { status }));
      expect(m.kind).toBe(status === 20 ? "response" : "error");
    }
  });

  it("adds a response mutation to VALUE_WITH_ATTACHMENTS, VALUE, NULL_VALUE and exception results", () => {
    const cases: Array<[number, unknown, Record<string, string> | undefined, number]> = [
      [4, { message: "hi" }, { "provider-instance": "p" }, 4],
      [1, { message: "hi" }, undefined, 4],
      [2, undefined, undefined, 5],
      [5, undefined, { a: "b" }, 5],
      [3, { $class: "java.lang.IllegalStateException", $: { detailMessage: "boom" } }, {}, 3],
      [0, { $class: "java.lang.IllegalStateException", $: { detailMessage: "boom" } }, undefined, 3],
    ];
    for (const [type, v, att, expectedType] of cases) {
      const codec = new DubboCodec();
      const m = decodeOne(codec, response(value(type, v, att)));
      m.requestId = 3;
      const out = codec.encode(m, [{ key: "x-served-by", value: "meshsim" }]);
      expect(out.readInt32BE(12)).toBe(out.length - 16);
      expect(readRequestId(out, 4)).toBe(3);
      const d = decoderV2(out.subarray(16));
      expect(d.readInt()).toBe(expectedType);
      if (expectedType !== 5) d.read();
      expect(d.read()).toEqual({ ...(att ?? {}), "x-served-by": "meshsim" });
    }
  });

  it("passes non-OK responses through untouched when a mutation cannot apply, and counts it", () => {
    const codec = new DubboCodec();
    const m = decodeOne(codec, response(encoderV2().write("nope").get(), { status: 70 }));
    expect(codec.encode(m, [{ key: "a", value: "b" }])).toBe(m.frame);
    expect(codec.mutationsIgnored).toBe(1);
  });

  it("answers apache-dubbo-js's heartbeat locally with an event response carrying null", () => {
    const hb = HeartBeat.encode();
    hb.writeBigInt64BE(41n, 4);
    const codec = new DubboCodec();
    const m = decodeOne(codec, hb);
    expect(m.kind).toBe("heartbeat");
    expect(m.metadata.get("event")).toBe("heartbeat");
    const reply = codec.heartbeatReply(m)!;
    expect(reply.subarray(0, 4).toString("hex")).toBe("dabb2214");
    expect(reply.readBigInt64BE(4)).toBe(41n);
    expect(reply.subarray(12).toString("hex")).toBe("000000014e");
    expect(decodeOne(new DubboCodec(), reply).kind).toBe("heartbeat");
    expect(codec.heartbeatReply(decodeOne(new DubboCodec(), reply))).toBeUndefined();
  });

  it("reads other events by name and does not answer oneway ones", () => {
    const body = new HessianWriter().string("R").bytes();
    const m = decodeOne(new DubboCodec(), response(Buffer.from(body), { flags: 0x80 | 0x20 | 2 }));
    expect(m.kind).toBe("heartbeat");
    expect(m.metadata.get("event")).toBe("R");
    expect(new DubboCodec().heartbeatReply(m)).toBeUndefined();
  });

  it("local replies carry a status per error kind and the text, read back by hessian.js", () => {
    const codec = new DubboCodec();
    const req = decodeOne(codec, dubboJsRequest({ method: "sayHello", requestId: 12 }));
    const expected = { no_route: 60, upstream_failure: 80, timeout: 31, rate_limited: 100, unauthorized: 40, fault_abort: 70 } as const;
    for (const [kind, status] of Object.entries(expected)) {
      const out = codec.localReply(req, { kind: kind as keyof typeof expected, message: "details here" });
      expect(out[2]).toBe(0x02);
      expect(out[3]).toBe(status);
      expect(readRequestId(out, 4)).toBe(12);
      expect(out.readInt32BE(12)).toBe(out.length - 16);
      expect(decoderV2(out.subarray(16)).read()).toBe(`meshsim: ${kind}: details here`);
    }
  });
});

describe("hessian2", () => {
  it("round-trips strings of every length class and surrogate pairs through hessian.js", () => {
    for (const s of ["", "a", "x".repeat(31), "x".repeat(32), "é".repeat(1023), "y".repeat(1024), "z".repeat(70000), "😀".repeat(40000)]) {
      const mine = Buffer.from(new HessianWriter().string(s).bytes());
      expect(decoderV2(mine).read()).toBe(s);
      const theirs = encoderV2().write(s).get();
      expect(new HessianReader().reset(theirs, 0, theirs.length).readString()).toBe(s);
    }
  });

  it("writes ints hessian.js reads, in every width", () => {
    for (const v of [-16, 47, -2048, 2047, -262144, 262143, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(decoderV2(Buffer.from(new HessianWriter().int(v).bytes())).read()).toBe(v);
    }
  });

  it("skips every value hessian.js writes to its exact end", () => {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1000,
      100000,
      2 ** 31 - 1,
      1.5,
      0,
      1,
      12.25,
      -3.75e100,
      "s",
      Buffer.alloc(5),
      Buffer.alloc(2000),
      Buffer.alloc(70000),
      new Date(1e12),
      [1, "a", null],
      { a: 1, b: [2] },
      java.long(2 ** 50),
      java.long(3),
      java.long(-1000),
      java.long(100000),
      java.combine("a.B", { x: 1, y: java.combine("a.C", { z: "q" }) }),
      [java.combine("a.B", { x: 1 }), java.combine("a.B", { x: 2 })],
      java.array("int", [1, 2, 3]),
      java.Map({ k: java.combine("a.B", { x: 3 }) }),
      java.float(1.5),
      java.short(3),
      java.byte(1),
    ];
    for (const v of values) {
      const bytes = Buffer.concat([encoderV2().write(v).get(), Buffer.from([0x4e])]);
      const r = new HessianReader().reset(bytes, 0, bytes.length);
      r.skipValue();
      expect(r.pos, JSON.stringify(v)?.slice(0, 60)).toBe(bytes.length - 1);
    }
  });

  it("counts descriptor parameters", () => {
    expect(countParameterTypes("")).toBe(0);
    expect(countParameterTypes("Ljava/lang/String;I[J[[Lx/Y;Z")).toBe(5);
    expect(countParameterTypes("Ljava/lang/String")).toBe(-1);
    expect(countParameterTypes("Q")).toBe(-1);
  });
});
