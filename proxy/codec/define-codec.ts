/**
 * defineCodec: the short way to write a codec for a length-delimited protocol. The author states
 * the wire facts (how long is the frame, what is in its header, how to write an id, a mutation
 * and an error reply); the helper supplies the rest of the contract in codec.ts:
 *
 * - NEED_MORE_DATA without consuming anything while a frame is incomplete;
 * - CodecError("too_large") as soon as a frame's declared length exceeds `maxFrameSize`,
 *   before any of it is buffered;
 * - never throws: an exception from the author's functions becomes CodecError("malformed")
 *   (or the CodecError thrown);
 * - encode returns `message.frame` itself when neither the request id nor the mutation changes
 *   anything; a mutation the protocol has no place for is counted in `counters.mutationsIgnored`.
 */
import {
  CodecError,
  NEED_MORE_DATA,
  type Codec,
  type CodecFactory,
  type CodecOptions,
  type DecodeResult,
  type LocalError,
  type Message,
  type MessageKind,
  type Metadata,
  type Mutation,
} from "./codec.ts";

/** What a codec built by defineCodec reports as `counters` (a type, so it fits a string-keyed record). */
export type CodecCounters = {
  /** Mutations passed to encode that the protocol has no header slot for. */
  mutationsIgnored: number;
  /** decode calls that returned a CodecError. */
  decodeErrors: number;
};

/** The header facts of one frame, as `parse` returns them. */
export interface ParsedFrame<D> {
  kind: MessageKind;
  requestId: number;
  metadata: Metadata;
  /** Anything encode/localReply need later (offsets, flags); passed back to them as `detail`. */
  detail: D;
}

export interface CodecDefinition<D = undefined> {
  /** Protocol name, as listeners and reports show it. */
  protocol: string;
  /** Default for CodecOptions.maxFrameSize (default 16 MiB). */
  defaultMaxFrameSize?: number;
  /**
   * Called with the unconsumed input from `offset`. Returns the whole frame's size in bytes
   * (prefix included) once enough of its start is there to know it, or `undefined` while it is
   * not. Throw a CodecError (or anything) for bytes that can never start a frame. Must not
   * assume the frame itself is complete.
   */
  frameSize(input: Buffer, offset: number): number | undefined;
  /** Reads the header of one complete frame (`frame` is exactly frameSize bytes). May throw. */
  parse(frame: Buffer): ParsedFrame<D>;
  /** The frame with `requestId` written in; may return a new buffer or write into `frame`. */
  writeRequestId(frame: Buffer, detail: D, requestId: number): Buffer;
  /**
   * A new frame with the mutation applied (added or replaced header keys). Omit it for
   * protocols without headers: mutations are then ignored and counted.
   */
  applyMutation?(frame: Buffer, detail: D, mutation: Mutation): Buffer;
  /** A complete error frame the protocol's clients understand, answering `request`. */
  localReply(request: { requestId: number; metadata: Metadata; detail: D }, error: LocalError): Buffer;
}

const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** Message.detail of a defineCodec codec: the author's detail plus the id currently in the frame. */
class DefinedDetail<D> {
  constructor(
    readonly inner: D,
    public frameRequestId: number,
  ) {}
}

class DefinedCodec<D> implements Codec {
  readonly protocol: string;
  readonly counters: CodecCounters = { mutationsIgnored: 0, decodeErrors: 0 };
  private readonly maxFrameSize: number;

  constructor(
    private readonly def: CodecDefinition<D>,
    options?: CodecOptions,
  ) {
    this.protocol = def.protocol;
    this.maxFrameSize = options?.maxFrameSize ?? def.defaultMaxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  decode(input: Buffer, offset: number): DecodeResult {
    if (offset >= input.length) return NEED_MORE_DATA;
    try {
      const size = this.def.frameSize(input, offset);
      if (size === undefined) return NEED_MORE_DATA;
      if (!Number.isInteger(size) || size <= 0) return this.fail(new CodecError("malformed", `${this.protocol}: bad frame size ${size}`));
      if (size > this.maxFrameSize) return this.fail(new CodecError("too_large", `${this.protocol}: frame of ${size} bytes exceeds maxFrameSize ${this.maxFrameSize}`));
      if (input.length - offset < size) return NEED_MORE_DATA;
      const frame = input.subarray(offset, offset + size);
      const parsed = this.def.parse(frame);
      const message: Message = {
        kind: parsed.kind,
        requestId: parsed.requestId,
        metadata: parsed.metadata,
        frame,
        detail: new DefinedDetail(parsed.detail, parsed.requestId),
      };
      return { status: "message", message, consumed: size };
    } catch (error) {
      return this.fail(error instanceof CodecError ? error : new CodecError("malformed", `${this.protocol}: ${(error as Error)?.message ?? String(error)}`));
    }
  }

  encode(message: Message, mutation?: Mutation): Buffer {
    const detail = message.detail;
    const mutate = mutation !== undefined && mutation.length > 0;
    if (mutate && this.def.applyMutation === undefined) this.counters.mutationsIgnored++;
    if (!(detail instanceof DefinedDetail)) return message.frame;
    let frame = message.frame;
    if (message.requestId !== detail.frameRequestId) {
      frame = this.def.writeRequestId(frame, detail.inner as D, message.requestId);
      if (frame === message.frame) detail.frameRequestId = message.requestId;
    }
    if (mutate && this.def.applyMutation !== undefined) frame = this.def.applyMutation(frame, detail.inner as D, mutation);
    return frame;
  }

  localReply(request: Message, error: LocalError): Buffer {
    const detail = request.detail instanceof DefinedDetail ? (request.detail.inner as D) : (undefined as D);
    return this.def.localReply({ requestId: request.requestId, metadata: request.metadata, detail }, error);
  }

  private fail(error: CodecError): DecodeResult {
    this.counters.decodeErrors++;
    return { status: "error", error };
  }
}

/** A codec factory from a definition; each call makes one codec for one connection. */
export function defineCodec<D = undefined>(definition: CodecDefinition<D>): CodecFactory {
  return (options?: CodecOptions) => new DefinedCodec(definition, options);
}
