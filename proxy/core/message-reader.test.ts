import { describe, expect, it } from "vitest";
import { needMoreData, NEED_MORE_DATA, type Codec, type DecodeResult, type Message } from "../codec/codec.ts";
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
