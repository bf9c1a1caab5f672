import { once } from "node:events";
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { needMoreData, NEED_MORE_DATA, type Codec, type DecodeResult, type Message } from "../codec/codec.ts";
import { writeBatched } from "./batched-write.ts";
import { MessageReader } from "./message-reader.ts";

/** 4-byte length prefix framing; counts decode calls and whether it gives size hints. */
function lengthPrefixed(hint: boolean): Codec & { calls: number } {
  return {
    protocol: "lp",
    calls: 0,
    decode(input: Buffer, offset: number): DecodeResult {
      this.calls++;
      if (input.length - offset < 4) return NEED_MORE_DATA;
      const size = input.readUInt32BE(offset);
      if (input.length - offset < 4 + size) return hint ? needMoreData(4 + size) : NEED_MORE_DATA;
      const frame = input.subarray(offset, offset + 4 + size);
      const message: Message = { kind: "request", requestId: 0, metadata: new Map(), frame, detail: undefined };
      return { status: "message", message, consumed: 4 + size };
    },
    encode: (m: Message) => m.frame,
    localReply: () => Buffer.alloc(0),
  };
}

function frame(size: number, fill: number): Buffer {
  const b = Buffer.alloc(4 + size, fill);
  b.writeUInt32BE(size, 0);
  return b;
}

describe("MessageReader", () => {
  it("collects a large message announced by its header and decodes it once", () => {
    const codec = lengthPrefixed(true);
    const got: Buffer[] = [];
    const reader = new MessageReader(codec, { onMessage: (m) => got.push(Buffer.from(m.frame)), onDecodeError: () => undefined });
    const big = frame(1 << 20, 7);
    const small = frame(10, 9);
    const stream = Buffer.concat([big, small]);
    for (let o = 0; o < stream.length; o += 16 * 1024) reader.push(stream.subarray(o, o + 16 * 1024));
    expect(got.map((g) => g.length)).toEqual([big.length, small.length]);
    expect(got[0]!.equals(big)).toBe(true);
    expect(codec.calls).toBeLessThan(5); // not once per 16 KiB chunk
    expect(reader.bufferedBytes).toBe(0);
  });

  it("without a hint still decodes correctly, retrying on every read", () => {
    const codec = lengthPrefixed(false);
    const got: number[] = [];
    const reader = new MessageReader(codec, { onMessage: (m) => got.push(m.frame.length), onDecodeError: () => undefined });
    const big = frame(256 * 1024, 1);
    for (let o = 0; o < big.length; o += 16 * 1024) reader.push(big.subarray(o, o + 16 * 1024));
    expect(got).toEqual([big.length]);
    expect(codec.calls).toBeGreaterThan(10);
  });

  it("decodes split points of small messages in either mode", () => {
    for (const hint of [true, false]) {
      const got: number[] = [];
      const reader = new MessageReader(lengthPrefixed(hint), { onMessage: (m) => got.push(m.frame.length), onDecodeError: () => undefined });
      const stream = Buffer.concat([frame(3, 1), frame(0, 2), frame(7, 3)]);
      for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
      expect(got).toEqual([7, 4, 11]);
    }
  });
});

describe("MessageReader with writeBatched", () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    server = undefined;
  });

  /** A real loopback connection: our writing end, and everything the peer receives. */
  async function loopback(): Promise<{ socket: Socket; received: () => Buffer }> {
    const chunks: Buffer[] = [];
    server = createServer((peer) => {
      sockets.push(peer);
      peer.on("data", (d: Buffer) => chunks.push(d));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = connect({ host: "127.0.0.1", port: (server.address() as { port: number }).port, noDelay: true });
    sockets.push(socket);
    await once(socket, "connect");
    return { socket, received: () => Buffer.concat(chunks) };
  }

  /** A reader that answers each message by echoing its frame, noting whether the write was held back. */
  function echoing(socket: Socket): { reader: MessageReader; heldBack: boolean[] } {
    const heldBack: boolean[] = [];
    const reader = new MessageReader(lengthPrefixed(true), {
      onMessage: (m) => {
        writeBatched(socket, m.frame);
        heldBack.push(socket.writableCorked > 0);
      },
      onDecodeError: () => undefined,
    });
    return { reader, heldBack };
  }

  it("writes the reply to a lone message at once", async () => {
    const { socket, received } = await loopback();
    const { reader, heldBack } = echoing(socket);
    reader.push(frame(5, 1));
    expect(heldBack).toEqual([false]);
    expect(socket.writableLength).toBe(0); // handed to the kernel, not waiting for the end of the turn
    await expect.poll(() => received().length).toBe(9);
  });

  it("gathers the replies to a read of several messages and sends them all by the end of the turn", async () => {
    const { socket, received } = await loopback();
    const { reader, heldBack } = echoing(socket);
    const stream = Buffer.concat([frame(3, 1), frame(4, 2), frame(5, 3)]);
    reader.push(stream);
    expect(heldBack).toEqual([true, true, true]);
    await new Promise((r) => process.nextTick(r));
    expect(socket.writableCorked).toBe(0);
    await expect.poll(() => received().length).toBe(stream.length);
    expect(received().equals(stream)).toBe(true);
  });

  it("batches writes made outside a reader (a connect flushing queued requests)", async () => {
    const { socket, received } = await loopback();
    writeBatched(socket, frame(2, 1));
    writeBatched(socket, frame(2, 2));
    expect(socket.writableCorked).toBe(1);
    await expect.poll(() => received().length).toBe(12);
  });
});
