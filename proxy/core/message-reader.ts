import type { Codec, CodecError, Message } from "../codec/codec.ts";
import { setLastOfRead } from "./batched-write.ts";

export interface MessageHandler {
  onMessage(message: Message): void;
  /** Called once; the reader then ignores further input. */
  onDecodeError(error: CodecError): void;
}

/**
 * Feeds socket chunks to a codec. A chunk holding whole messages is decoded in place; bytes are
 * copied only when a message straddles two reads.
 */
export class MessageReader {
  private leftover: Buffer | null = null;
  private failed = false;
  /** While a known-size message is incomplete: its chunks, how many bytes, how many it needs. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 0;

  constructor(
    private readonly codec: Codec,
    private readonly handler: MessageHandler,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.needed > 0) {
      // Collect without copying until the message the codec announced is all here.
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      chunk = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      this.needed = 0;
    }
    const input = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = null;
    let offset = 0;
    while (offset < input.length) {
      const result = this.codec.decode(input, offset);
      if (result.status === "message") {
        offset += result.consumed;
        if (offset < input.length) this.handler.onMessage(result.message);
        else this.deliverLast(result.message);
        if (this.failed) return;
      } else if (result.status === "need_more_data") {
        const rest = input.length - offset;
        if (result.needed !== undefined && result.needed > rest) {
          this.parts = [input.subarray(offset)];
          this.partsLength = rest;
          this.needed = result.needed;
          return;
        }
        break;
      } else {
        this.failed = true;
        this.handler.onDecodeError(result.error);
        return;
      }
    }
    if (offset < input.length) this.leftover = input.subarray(offset);
  }

  /** The read's last message: its writes need not wait for more (see `writeBatched`). */
  private deliverLast(message: Message): void {
    setLastOfRead(true);
    try {
      this.handler.onMessage(message);
    } finally {
      setLastOfRead(false);
    }
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return (this.leftover?.length ?? 0) + this.partsLength;
  }

  stop(): void {
    this.failed = true;
    this.leftover = null;
    this.parts = [];
    this.partsLength = 0;
  }
}
