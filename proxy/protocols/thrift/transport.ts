/*
 * Thrift transports:
 *
 *   framed    := i32 BE frame-length ; payload{frame-length}     (payload = one protocol message)
 *   header    := i32 BE frame-length ; u16 0x0FFF ; ...             (THeader: transport-header.ts)
 *   unframed  := message                                          (a.k.a. buffered; the end is
 *                                                                   found only by parsing the body)
 *
 * Detection on a connection's first bytes:
 *   byte 0 = 0x80 (binary strict version) or 0x82 (compact protocol id)  -> unframed;
 *     a frame length with the top bit set would be negative, so this is unambiguous.
 *   otherwise byte 4 (the first payload byte if framed) decides:
 *     0x0F followed by 0xFF -> THeader (its protocol id, read per frame, picks binary or compact),
 *     0x80 -> framed binary, 0x82 -> framed compact,
 *     0x00 -> framed lax binary (the high byte of an i32 name length),
 *     anything else -> unframed lax binary (byte 4 is then the first byte of the method name).
 */
import { COMPACT_PROTOCOL_ID } from "./protocol-compact.ts";
import { isHeaderFrame } from "./transport-header.ts";
import type { ProtocolKind, TransportKind } from "./wire.ts";

export const FRAME_HEADER_SIZE = 4;

export interface Detected {
  transport: TransportKind;
  protocol: ProtocolKind;
}

const UNFRAMED_BINARY: Detected = Object.freeze({ transport: "unframed", protocol: "binary" });
const UNFRAMED_COMPACT: Detected = Object.freeze({ transport: "unframed", protocol: "compact" });
const FRAMED_BINARY: Detected = Object.freeze({ transport: "framed", protocol: "binary" });
const FRAMED_COMPACT: Detected = Object.freeze({ transport: "framed", protocol: "compact" });
/** The protocol of a THeader connection is read from each frame's header; "binary" is a placeholder. */
const HEADER: Detected = Object.freeze({ transport: "header", protocol: "binary" });

/**
 * Transport and protocol of the message at `offset`, or undefined while fewer bytes than
 * detection needs (at most six) are available. Consumes nothing.
 */
export function detectTransport(input: Buffer, offset: number): Detected | undefined {
  if (input.length - offset < 1) return undefined;
  const first = input[offset]!;
  if (first === 0x80) return UNFRAMED_BINARY;
  if (first === COMPACT_PROTOCOL_ID) return UNFRAMED_COMPACT;
  if (input.length - offset < FRAME_HEADER_SIZE + 1) return undefined;
  const payloadFirst = input[offset + FRAME_HEADER_SIZE]!;
  if (payloadFirst === 0x80 || payloadFirst === 0x00) return FRAMED_BINARY;
  if (payloadFirst === COMPACT_PROTOCOL_ID) return FRAMED_COMPACT;
  if (payloadFirst === 0x0f) {
    if (input.length - offset < FRAME_HEADER_SIZE + 2) return undefined;
    if (isHeaderFrame(input, offset)) return HEADER;
  }
  return UNFRAMED_BINARY;
}
