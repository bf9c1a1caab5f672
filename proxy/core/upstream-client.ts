import { connect, type Socket } from "node:net";
import type { Codec, CodecError, CodecFactory, LocalError, Message } from "../codec/codec.ts";
import type { Endpoint } from "../config/types.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";
import { writeBatched } from "./batched-write.ts";
import { MessageReader, type MessageHandler } from "./message-reader.ts";
import type { ResponseSink } from "./response-sink.ts";

interface InFlight {
  sink: ResponseSink;
  originalId: number;
  request: Message;
}

const MAX_REQUEST_ID = 0x7fffffff;

/**
 * One upstream socket shared by many downstream connections. Each request gets a request id
 * unique on this socket; the response's id is looked up to find the downstream and restored.
 *
 * States: idle (no socket) → connecting (requests queue) → connected → idle again when the
 * socket closes, failing whatever was in flight. The next request reconnects.
 */
export class UpstreamClient implements MessageHandler {
  private socket: Socket | null = null;
  private connected = false;
  private reader: MessageReader | null = null;
  private codec: Codec | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private queued: Buffer[] = [];
  private nextId = 1;
  private draining = false;
  private connectTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly endpoint: Endpoint,
    private readonly codecFactory: CodecFactory,
    private readonly stats: StatScope<ClusterStat>,
    private readonly connectTimeoutMs: number,
  ) {}

  get activeRequests(): number {
    return this.inFlight.size;
  }

  /**
   * Sends a request decoded by `downstreamCodec`. Two-way requests are tracked until their
   * response arrives; oneway requests are written and forgotten.
   */
  send(request: Message, downstreamCodec: Codec, sink: ResponseSink): void {
    this.stats.inc("upstream_rq_total");
    if (request.kind !== "oneway") {
      const id = this.allocateId();
      this.inFlight.set(id, { sink, originalId: request.requestId, request });
      request.requestId = id;
    }
    const bytes = downstreamCodec.encode(request);
    if (this.connected) writeBatched(this.socket!, bytes);
    else {
      this.queued.push(bytes);
      if (this.socket === null) this.open();
    }
  }

  /** Stop taking requests; close once in-flight ones complete. */
  drain(): void {
    this.draining = true;
    if (this.inFlight.size === 0) this.close();
  }

  close(): void {
    this.socket?.destroy();
  }

  onMessage(message: Message): void {
    const entry = this.inFlight.get(message.requestId);
    if (entry === undefined) {
      this.stats.inc("upstream_rq_orphaned");
      return;
    }
    this.inFlight.delete(message.requestId);
    this.stats.inc("upstream_rq_completed");
    message.requestId = entry.originalId;
    entry.sink.onUpstreamResponse(this.codec!.encode(message));
    if (this.draining && this.inFlight.size === 0) this.close();
  }

  onDecodeError(error: CodecError): void {
    this.stats.inc("upstream_cx_protocol_error");
    this.failAll({ kind: "upstream_failure", message: `upstream protocol error: ${error.message}` });
    this.socket?.destroy();
  }

  private allocateId(): number {
    // Skip ids still in flight after a wrap-around.
    do {
      const id = this.nextId;
      this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.inFlight.has(id)) return id;
    } while (true);
  }

  private open(): void {
    this.stats.inc("upstream_cx_total");
    const codec = this.codecFactory();
    this.codec = codec;
    this.reader = new MessageReader(codec, this);
    const socket = connect({ host: this.endpoint.host, port: this.endpoint.port, noDelay: true });
    this.socket = socket;
    this.connectTimer = setTimeout(() => {
      socket.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`));
    }, this.connectTimeoutMs);
    socket.on("connect", () => {
      clearTimeout(this.connectTimer!);
      this.connected = true;
      this.stats.inc("upstream_cx_active");
      const queued = this.queued;
      this.queued = [];
      for (const bytes of queued) writeBatched(socket, bytes);
    });
    socket.on("data", (chunk: Buffer) => this.reader!.push(chunk));
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onClose(socket));
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    clearTimeout(this.connectTimer!);
    if (this.connected) {
      this.stats.dec("upstream_cx_active");
      if (!this.draining) this.stats.inc("upstream_cx_destroy_remote");
    } else {
      this.stats.inc("upstream_cx_connect_fail");
    }
    const reason = this.connected ? "upstream connection closed" : `cannot connect to ${this.endpoint.host}:${this.endpoint.port}`;
    this.socket = null;
    this.connected = false;
    this.reader = null;
    this.queued = [];
    this.failAll({ kind: "upstream_failure", message: reason });
  }

  private failAll(error: LocalError): void {
    if (this.inFlight.size === 0) return;
    const entries = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const e of entries) {
      this.stats.inc("upstream_rq_pending_failure");
      e.request.requestId = e.originalId;
      e.sink.onUpstreamFailure(e.request, error);
    }
  }
}
