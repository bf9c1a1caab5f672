import { readFileSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { CodecError, type DecodeResult, type LocalErrorKind, type Message } from "../../codec/codec.ts";
import { createHelloClient } from "../../../fixtures/thrift/hello-client.ts";
import { startThriftServer } from "../../../fixtures/thrift/hello-server.ts";
import { ThriftDetail, type ThriftCodec } from "./codec.ts";
import { createThriftCodec } from "./index.ts";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
/** A private copy: binary seqid rewrites write into the frame. */
const load = (name: string): Buffer => Buffer.from(readFileSync(join(testdata, name)));

type Transport = "framed" | "unframed";
type CaptureProtocol = "binary" | "compact" | "laxbinary";
interface Expected {
  method: string;
  kind: Message["kind"];
  seqid: number;
}

const TRANSPORTS: Transport[] = ["framed", "unframed"];
const PROTOCOLS: CaptureProtocol[] = ["binary", "compact", "laxbinary"];
const req = (method: string, seqid = 1): Expected => ({ method, kind: method === "notify" ? "oneway" : "request", seqid });
const res = (method: string, seqid = 1): Expected => ({ method, kind: "response", seqid });

const CASES: Record<string, { request: Expected[]; response?: Expected[]; lax?: boolean }> = {
  sayHello: { request: [req("sayHello")], response: [res("sayHello")], lax: true },
  sayHelloFail: { request: [req("sayHello")], response: [res("sayHello")] },
  echo: { request: [req("echo")], response: [res("echo")] },
  notify: { request: [req("notify")] },
  echoAll: { request: [req("echoAll")], response: [res("echoAll")], lax: true },
  pipelined: {
    request: [req("sayHello", 1), req("echo", 2), req("notify", 3), req("getUser", 4)],
    response: [res("sayHello", 1), res("echo", 2), res("getUser", 4)],
  },
};

function* captures(): Generator<{ file: string; transport: Transport; protocol: CaptureProtocol; expected: Expected[] }> {
  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      for (const [name, c] of Object.entries(CASES)) {
        if (protocol === "laxbinary" && !c.lax) continue;
        yield { file: `${transport}-${protocol}-${name}.request`, transport, protocol, expected: c.request };
        if (c.response) yield { file: `${transport}-${protocol}-${name}.response`, transport, protocol, expected: c.response };
      }
    }
  }
}

/** Decodes every message in `input`, failing the test on anything but messages and a clean end. */
function decodeAll(input: Buffer, codec: ThriftCodec = createThriftCodec()): Message[] {
  const messages: Message[] = [];
  let offset = 0;
  while (offset < input.length) {
    const result = codec.decode(input, offset);
    if (result.status !== "message") throw new Error(`at ${offset}: ${result.status} ${result.status === "error" ? result.error.message : ""}`);
    messages.push(result.message);
    offset += result.consumed;
  }
  return messages;
}

function expectError(result: DecodeResult, code: CodecError["code"]): void {
  expect(result.status).toBe("error");
  if (result.status === "error") {
    expect(result.error).toBeInstanceOf(CodecError);
    expect(result.error.code).toBe(code);
  }
}

const detailOf = (m: Message): ThriftDetail => {
  expect(m.detail).toBeInstanceOf(ThriftDetail);
  return m.detail as ThriftDetail;
};

describe("decode captured traffic", () => {
  for (const { file, transport, protocol, expected } of captures()) {
    it(`${file}: ${expected.map((e) => `${e.method}/${e.kind}/${e.seqid}`).join(", ")}`, () => {
      const input = load(file);
      const messages = decodeAll(input);
      expect(messages.map((m) => ({ method: m.metadata.get("method"), kind: m.kind, seqid: m.requestId }))).toEqual(expected);
      let offset = 0;
      for (const m of messages) {
        // A view into the input at the message's own position: no copy.
        expect(m.frame.buffer).toBe(input.buffer);
        expect(m.frame.byteOffset).toBe(input.byteOffset + offset);
        offset += m.frame.length;
        const d = detailOf(m);
        expect(d.transport).toBe(transport === "framed" ? "framed" : "unframed");
        expect(d.protocol).toBe(protocol === "compact" ? "compact" : "binary");
        if (transport === "framed") expect(m.frame.readInt32BE(0)).toBe(m.frame.length - 4);
        // Lax clients write lax requests; the server always answers strict.
        expect(d.strict).toBe(!(protocol === "laxbinary" && file.endsWith(".request")));
      }
      expect(offset).toBe(input.length);
    });
  }

  it("splits several different messages pipelined in one buffer", () => {
    for (const transport of TRANSPORTS) {
      for (const protocol of ["binary", "compact"] as const) {
        const names = ["sayHello", "notify", "echoAll", "echo", "pipelined", "sayHelloFail"];
        const input = Buffer.concat(names.map((n) => load(`${transport}-${protocol}-${n}.request`)));
        const methods = decodeAll(input).map((m) => m.metadata.get("method"));
        expect(methods).toEqual(["sayHello", "notify", "echoAll", "echo", "sayHello", "echo", "notify", "getUser", "sayHello"]);
      }
    }
  });

  it("returns need_more_data at every split point and the same messages once the rest arrives", () => {
    for (const { file } of captures()) {
      const whole = load(file);
      const reference = decodeAll(Buffer.from(whole));
      const boundaries = new Set<number>();
      let end = 0;
      for (const m of reference) boundaries.add((end += m.frame.length));
      for (let split = 0; split < whole.length; split++) {
        const codec = createThriftCodec();
        const first = whole.subarray(0, split);
        const got: Message[] = [];
        let offset = 0;
        for (;;) {
          const r = codec.decode(first, offset);
          if (r.status === "need_more_data") break;
          if (r.status === "error") throw new Error(`${file} split ${split}: ${r.error.message}`);
          got.push(r.message);
          offset += r.consumed;
        }
        // Only whole messages came out, and everything complete in the prefix did.
        expect(offset === 0 || boundaries.has(offset), `${file} split ${split}`).toBe(true);
        expect([...boundaries].filter((b) => b <= split).length, `${file} split ${split}`).toBe(got.length);
        for (const m of decodeAll(whole.subarray(offset), codec)) got.push(m);
        expect(got.map((m) => [m.metadata.get("method"), m.requestId, m.frame.toString("hex")])).toEqual(reference.map((m) => [m.metadata.get("method"), m.requestId, m.frame.toString("hex")]));
      }
    }
  });

  it("feeds one byte at a time through one codec", () => {
    for (const { file, expected } of captures()) {
      const whole = load(file);
      const codec = createThriftCodec();
      const got: string[] = [];
      let start = 0;
      for (let length = 1; length <= whole.length; length++) {
        const r = codec.decode(whole.subarray(0, length), start);
        if (r.status === "error") throw new Error(r.error.message);
        if (r.status === "message") {
          expect(start + r.consumed).toBe(length);
          start = length;
          got.push(`${r.message.metadata.get("method")}/${r.message.requestId}`);
        }
      }
      expect(got).toEqual(expected.map((e) => `${e.method}/${e.seqid}`));
    }
  });

  it("keeps the transport and protocol detected on the first message", () => {
    const codec = createThriftCodec();
    decodeAll(load("framed-binary-sayHello.request"), codec);
    expect(codec.detectedTransport).toBe("framed");
    expect(codec.detectedProtocol).toBe("binary");
    expectError(codec.decode(load("unframed-compact-sayHello.request"), 0), "malformed");
    expectError(codec.decode(load("framed-compact-sayHello.request"), 0), "malformed");
  });
});

describe("encode", () => {
  for (const transport of TRANSPORTS) {
    for (const protocol of ["binary", "compact", "laxbinary"] as const) {
      it(`${transport} ${protocol}: passes bytes through and rewrites the seqid`, () => {
        for (const newId of [2, 127, 128, 12345678, -5, 0x7fffffff, -0x80000000]) {
          const original = load(`${transport}-${protocol}-echoAll.request`);
          const pristine = Buffer.from(original);
          const codec = createThriftCodec();
          const [message] = decodeAll(original, codec);
          const d = detailOf(message!);
          const body = Buffer.from(message!.frame.subarray(d.bodyOffset));

          expect(codec.encode(message!)).toBe(message!.frame);
          expect(codec.encode(message!, [])).toBe(message!.frame);
          expect(codec.mutationsIgnored).toBe(0);

          message!.requestId = newId;
          const encoded = codec.encode(message!);
          const [again] = decodeAll(encoded);
          expect(again!.requestId).toBe(newId);
          expect(again!.metadata.get("method")).toBe("echoAll");
          expect(again!.kind).toBe("request");
          expect(again!.frame.length).toBe(encoded.length);
          expect(Buffer.from(again!.frame.subarray(detailOf(again!).bodyOffset))).toEqual(body);
          expect(detailOf(again!).strict).toBe(protocol !== "laxbinary");
          if (protocol === "compact") {
            // A new buffer; the received bytes stay as they were.
            expect(encoded).not.toBe(original);
            expect(original).toEqual(pristine);
          }
          // Restoring the original id restores the original bytes.
          const [rewritten] = decodeAll(Buffer.from(encoded));
          rewritten!.requestId = 1;
          expect(codec.encode(rewritten!)).toEqual(pristine);
        }
      });
    }
  }

  it("counts mutations it cannot apply and still passes the frame through", () => {
    const codec = createThriftCodec();
    const [message] = decodeAll(load("framed-binary-sayHello.request"), codec);
    expect(codec.encode(message!, [{ key: "x-user", value: "a" }])).toBe(message!.frame);
    expect(codec.encode(message!, [{ key: "x-user", value: "b" }])).toBe(message!.frame);
    expect(codec.mutationsIgnored).toBe(2);
  });

  it("a real server accepts rewritten requests and answers with the new seqid", async () => {
    for (const transport of TRANSPORTS) {
      for (const protocol of ["binary", "compact"] as const) {
        const server = await startThriftServer({ service: "hello", version: "v1", instance: "i0", transport, protocol });
        try {
          const [message] = decodeAll(load(`${transport}-${protocol}-sayHello.request`));
          message!.requestId = 300000;
          const reply = await roundTrip(server.port, createThriftCodec().encode(message!));
          const [response] = decodeAll(reply);
          expect(response!.requestId).toBe(300000);
          expect(response!.kind).toBe("response");
          expect(reply.includes(Buffer.from("hello world"))).toBe(true);
        } finally {
          await server.close();
        }
      }
    }
  });
});

/** Writes `request` on a raw socket and collects bytes until one whole message decodes. */
function roundTrip(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const codec = createThriftCodec();
    let received = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const r = codec.decode(received, 0);
      if (r.status === "message") {
        socket.destroy();
        resolve(received);
      } else if (r.status === "error") reject(r.error);
    });
    socket.on("error", reject);
    socket.write(request);
  });
}

describe("localReply", () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A peer that answers every request with the codec's local reply. */
  function startLocalReplyServer(kind: LocalErrorKind): Promise<number> {
    const server = createServer((socket: Socket) => {
      const codec = createThriftCodec();
      let pending = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const r = codec.decode(pending, 0);
          if (r.status !== "message") break;
          socket.write(codec.localReply(r.message, { kind, message: `nothing for ${r.message.metadata.get("method")}` }));
          pending = pending.subarray(r.consumed);
        }
      });
      socket.on("error", () => {});
    });
    servers.push(server);
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  }

  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      it(`${transport} ${protocol}: the real npm client receives a TApplicationException`, async () => {
        const port = await startLocalReplyServer("no_route");
        const client = createHelloClient({ port, transport, protocol });
        try {
          const results = await Promise.allSettled([client.sayHello("a"), client.echo("b"), client.call("getUser", "c")]);
          for (const [i, method] of ["sayHello", "echo", "getUser"].entries()) {
            const r = results[i]!;
            expect(r.status).toBe("rejected");
            const error = (r as PromiseRejectedResult).reason as { name: string; type: number; message: string };
            expect(error.name).toBe("TApplicationException");
            expect(error.type).toBe(1);
            expect(error.message).toBe(`meshsim: no_route: nothing for ${method}`);
          }
        } finally {
          await client.close();
        }
      });
    }
  }

  it("maps other error kinds to INTERNAL_ERROR and keeps method, seqid and transport", async () => {
    const port = await startLocalReplyServer("timeout");
    const client = createHelloClient({ port, transport: "unframed", protocol: "compact" });
    try {
      const error = (await client.sayHello("x").catch((e: unknown) => e)) as { name: string; type: number; message: string };
      expect(error.name).toBe("TApplicationException");
      expect(error.type).toBe(6);
      expect(error.message).toBe("meshsim: timeout: nothing for sayHello");
    } finally {
      await client.close();
    }
    const codec = createThriftCodec();
    const [request] = decodeAll(load("framed-compact-pipelined.request"), codec).slice(3);
    const [reply] = decodeAll(codec.localReply(request!, { kind: "rate_limited", message: "slow down" }));
    expect(reply!.kind).toBe("error");
    expect(reply!.requestId).toBe(4);
    expect(reply!.metadata.get("method")).toBe("getUser");
    expect(detailOf(reply!).transport).toBe("framed");
    expect(detailOf(reply!).protocol).toBe("compact");
    expect(reply!.frame.includes(Buffer.from("meshsim: rate_limited: slow down"))).toBe(true);
  });
});

describe("malformed and oversize input", () => {
  const binaryMessage = (body: number[]) => Buffer.from([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x6d, 0, 0, 0, 9, ...body]);
  const compactMessage = (body: number[]) => Buffer.from([0x82, 0x21, 9, 1, 0x6d, ...body]);
  const framed = (payload: Buffer) => {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(payload.length);
    return Buffer.concat([prefix, payload]);
  };

  it("rejects garbage", () => {
    expectError(createThriftCodec().decode(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0), "malformed");
    expectError(createThriftCodec().decode(Buffer.from([0x80, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0), "malformed");
    expectError(createThriftCodec().decode(Buffer.from([0x82, 0x22, 1, 0, 0]), 0), "malformed");
    expectError(createThriftCodec().decode(framed(Buffer.from([0x80, 0x01, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0])), 0), "malformed");
    expectError(createThriftCodec().decode(Buffer.from([0xff, 0xff, 0xff, 0xf0, 0x80, 1]), 0), "malformed");
  });

  it("rejects negative lengths, unknown type ids and deep nesting in unframed bodies", () => {
    expectError(createThriftCodec().decode(binaryMessage([11, 0, 1, 0xff, 0xff, 0xff, 0xfe]), 0), "malformed");
    expectError(createThriftCodec().decode(binaryMessage([15, 0, 1, 8, 0xff, 0xff, 0xff, 0xff]), 0), "malformed");
    expectError(createThriftCodec().decode(binaryMessage([17, 0, 1, 0]), 0), "malformed");
    expectError(createThriftCodec().decode(binaryMessage([13, 0, 1, 99, 8, 0, 0, 0, 1]), 0), "malformed");
    expectError(createThriftCodec().decode(compactMessage([0x1e, 0]), 0), "malformed");
    expectError(createThriftCodec().decode(compactMessage([0x18, 0xff, 0xff, 0xff, 0xff, 0x0f]), 0), "malformed");
    expectError(createThriftCodec().decode(compactMessage([0x19, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0), "malformed");

    const nest = (depth: number, open: number[], stops: number) => [...Array(depth).fill(open).flat(), ...Array(stops).fill(0)];
    expect(createThriftCodec().decode(binaryMessage(nest(60, [12, 0, 1], 61)), 0).status).toBe("message");
    expectError(createThriftCodec().decode(binaryMessage(nest(70, [12, 0, 1], 71)), 0), "malformed");
    expect(createThriftCodec().decode(compactMessage(nest(60, [0x1c], 61)), 0).status).toBe("message");
    expectError(createThriftCodec().decode(compactMessage(nest(70, [0x1c], 71)), 0), "malformed");
    // Incomplete deep nesting fails as soon as the depth is seen, without waiting for more bytes.
    expectError(createThriftCodec().decode(compactMessage(nest(70, [0x1c], 0)), 0), "malformed");
  });

  it("refuses frames above maxFrameSize as soon as the length is seen", () => {
    const header = Buffer.from([0x01, 0x00, 0x00, 0x01, 0x80]);
    expectError(createThriftCodec().decode(header, 0), "too_large");
    const small = createThriftCodec({ maxFrameSize: 32 });
    expectError(small.decode(Buffer.from([0, 0, 0, 33, 0x80, 0x01]), 0), "too_large");
    const exact = load("framed-binary-sayHello.request");
    expect(createThriftCodec({ maxFrameSize: exact.length - 4 }).decode(exact, 0).status).toBe("message");
    expectError(createThriftCodec({ maxFrameSize: exact.length - 5 }).decode(exact, 0), "too_large");
  });

  it("refuses unframed messages that would exceed maxFrameSize without buffering them", () => {
    const codec = createThriftCodec({ maxFrameSize: 64 });
    // A string declared longer than the limit: refused with only the header received.
    expectError(codec.decode(binaryMessage([11, 0, 1, 0, 0, 4, 0]), 0), "too_large");
    // A body that keeps going past the limit (ten i32 fields, no STOP yet).
    const many = binaryMessage(Array(10).fill([8, 0, 1, 0, 0, 0, 7]).flat());
    expect(createThriftCodec({ maxFrameSize: 128 }).decode(many, 0).status).toBe("need_more_data");
    expectError(createThriftCodec({ maxFrameSize: 64 }).decode(many, 0), "too_large");
    const whole = load("unframed-binary-sayHello.request");
    expect(createThriftCodec({ maxFrameSize: whole.length }).decode(whole, 0).status).toBe("message");
    expectError(createThriftCodec({ maxFrameSize: whole.length - 1 }).decode(whole, 0), "too_large");
  });

  it("never throws, whatever the bytes", () => {
    const seeds = [...captures()].map(({ file }) => load(file));
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (seed, edits, cut) => {
        const input = Buffer.from(seed);
        for (const [at, value] of edits) input[at % input.length] = value;
        const codec = createThriftCodec({ maxFrameSize: 1024 });
        const data = input.subarray(0, cut % (input.length + 1));
        let offset = 0;
        for (let i = 0; i < 20 && offset < data.length; i++) {
          const r = codec.decode(data, offset);
          if (r.status !== "message") break;
          expect(r.consumed).toBeGreaterThan(0);
          offset += r.consumed;
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = createThriftCodec({ maxFrameSize: 4096 }).decode(Buffer.from(bytes), 0);
        expect(["message", "need_more_data", "error"]).toContain(r.status);
      }),
      { numRuns: 3000 },
    );
  });
});
