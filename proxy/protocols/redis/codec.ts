/**
 * RESP as a codec under the common contract (proxy/codec/codec.ts), for the codec kit, the codec
 * registry and `meshsim codec-test`. The proxy's Redis path (redis-listener.ts and the modules
 * beside it) does not go through it: Redis routing needs keys and slots, so it uses the parser in
 * resp.ts directly.
 *
 * Grammar: see resp.ts. A connection carries either requests (arrays of bulk strings, or
 * inline lines) or replies; the codec locks onto the direction of its first message. An array
 * that is not made of bulk strings can only be a reply.
 *
 * RESP has no request id: replies match requests by position. Messages carry id 0 and a
 * changed id cannot be written; mutations have no place either and are ignored (counted).
 * Metadata of a request: `command` (lower case) and `key` (the first key, utf8) when it has one.
 */
import { CodecError, NEED_MORE_DATA, type Codec, type CodecFactory, type CodecOptions, type DecodeResult, type LocalError, type Message, type Mutation } from "../../codec/codec.ts";
import { commandInfo, keyIndexes } from "./commands.ts";
import { errorReply, MALFORMED, NEED_MORE, parseIntAt, replyEnd, RequestParser, TOO_LARGE } from "./resp.ts";

const DEFAULT_MAX_FRAME_SIZE = 512 * 1024 * 1024;

type Direction = "unknown" | "requests" | "replies";

class RespCodec implements Codec {
  readonly protocol = "redis";
  readonly counters = { mutationsIgnored: 0, decodeErrors: 0 };
  private direction: Direction = "unknown";
  private readonly parser: RequestParser;
  private readonly maxFrameSize: number;

  constructor(options?: CodecOptions) {
    this.maxFrameSize = options?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.parser = new RequestParser(this.maxFrameSize);
  }

  decode(input: Buffer, offset: number): DecodeResult {
    if (offset >= input.length) return NEED_MORE_DATA;
    if (this.direction === "replies") return this.decodeReply(input, offset);
    if (this.direction === "requests") return this.decodeRequest(input, offset);
    const first = input[offset]!;
    if (first !== 42 /* * */ && isReplyType(first)) return this.decodeReply(input, offset);
    const end = this.parser.parse(input, offset, input.length);
    if (end === MALFORMED && first === 42) return this.decodeReply(input, offset);
    return this.requestResult(input, offset, end);
  }

  encode(message: Message, mutation?: Mutation): Buffer {
    if (mutation !== undefined && mutation.length > 0) this.counters.mutationsIgnored++;
    return message.frame;
  }

  localReply(_request: Message, error: LocalError): Buffer {
    return errorReply(`ERR meshsim: ${error.kind}: ${error.message}`);
  }

  private decodeRequest(input: Buffer, offset: number): DecodeResult {
    return this.requestResult(input, offset, this.parser.parse(input, offset, input.length));
  }

  private requestResult(input: Buffer, offset: number, end: number): DecodeResult {
    if (end === NEED_MORE) return input.length - offset > this.maxFrameSize ? this.tooLarge(input.length - offset) : NEED_MORE_DATA;
    if (end === TOO_LARGE) return this.fail(new CodecError("too_large", this.parser.problem));
    if (end === MALFORMED) return this.fail(new CodecError("malformed", this.parser.problem));
    if (end - offset > this.maxFrameSize) return this.tooLarge(end - offset);
    this.direction = "requests";
    const p = this.parser;
    const metadata = new Map<string, string>();
    if (p.argc > 0) {
      const name = input.toString("latin1", p.argStart[0], p.argEnd[0]).toLowerCase();
      metadata.set("command", name);
      const info = commandInfo(name);
      if (info) {
        const keys = keyIndexes(
          info,
          p.argc,
          (i) => parseIntAt(input, p.argStart[i]!, p.argEnd[i]!),
          (i, w) => input.toString("latin1", p.argStart[i], p.argEnd[i]).toLowerCase() === w,
        );
        if (typeof keys !== "string" && keys.length > 0) metadata.set("key", input.toString("utf8", p.argStart[keys[0]!], p.argEnd[keys[0]!]));
      }
    }
    const message: Message = { kind: "request", requestId: 0, metadata, frame: input.subarray(offset, end), detail: undefined };
    return { status: "message", message, consumed: end - offset };
  }

  private decodeReply(input: Buffer, offset: number): DecodeResult {
    const end = replyEnd(input, offset, input.length);
    if (end === NEED_MORE) return input.length - offset > this.maxFrameSize ? this.tooLarge(input.length - offset) : NEED_MORE_DATA;
    if (end === MALFORMED) return this.fail(new CodecError("malformed", `Protocol error: not a RESP reply`));
    if (end - offset > this.maxFrameSize) return this.tooLarge(end - offset);
    this.direction = "replies";
    const type = input[offset];
    const message: Message = {
      kind: type === 45 || type === 33 ? "error" : "response",
      requestId: 0,
      metadata: new Map(),
      frame: input.subarray(offset, end),
      detail: undefined,
    };
    return { status: "message", message, consumed: end - offset };
  }

  private tooLarge(size: number): DecodeResult {
    return this.fail(new CodecError("too_large", `redis: ${size} bytes exceed maxFrameSize ${this.maxFrameSize}`));
  }

  private fail(error: CodecError): DecodeResult {
    this.counters.decodeErrors++;
    return { status: "error", error };
  }
}

/** Bytes that start a reply and never a request (`*` starts both). */
function isReplyType(b: number): boolean {
  return b === 43 || b === 45 || b === 58 || b === 36 || b === 95 || b === 44 || b === 35 || b === 40 || b === 33 || b === 61 || b === 37 || b === 126 || b === 62 || b === 124;
}

export const createRedisCodec: CodecFactory = (options) => new RespCodec(options);
