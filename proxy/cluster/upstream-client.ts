import { connect, type Socket } from "node:net";
import type { Codec, CodecError, CodecFactory, LocalError, Message, Mutation } from "../codec/codec.ts";
import type { Endpoint } from "../config/types.ts";
import { writeBatched } from "../core/batched-write.ts";
import { MessageReader, type MessageHandler } from "../core/message-reader.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";
import type { LbEndpoint } from "./load-balancer.ts";
import type { ClusterResources } from "./resource-manager.ts";
import type { ResponseSink, UpstreamFailureCause } from "./response-sink.ts";

const MAX_REQUEST_ID = 0x7fffffff;

/**
 * Where an upstream client reports what it opens and sends: its cluster's counters and resource
 * limits, and its endpoint's load (least request). The client counts; it never decides limits.
 */
export interface UpstreamAccounting {
  readonly stats: StatScope<ClusterStat>;
  readonly resources: ClusterResources;
  readonly load: LbEndpoint;
}
const QUEUE_HIGH_WATER = 1 << 20;

/**
 * One upstream socket shared by many downstream connections. Each request gets a request id
 * unique on this socket; the response's id finds the waiting sink.
 *
 * States: idle (no socket) → connecting (requests queue) → connected → idle again when the
 * socket closes, failing whatever was in flight. The next request reconnects.
 */
export class UpstreamClient implements MessageHandler {
  private socket: Socket | null = null;
  private connected = false;
  private reader: MessageReader | null = null;
  private codec: Codec | null = null;
  private readonly inFlight = new Map<number, ResponseSink>();
  private queued: Buffer[] = [];
  private nextId = 1;
  private draining = false;
  /** Called once the socket's write buffer empties (or the socket closes): paused downstreams. */
  private drainWaiters: Array<() => void> = [];
  private queuedBytes = 0;
  private connectTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly endpoint: Endpoint,
    private readonly codecFactory: CodecFactory,
    private readonly accounting: UpstreamAccounting,
    private readonly connectTimeoutMs: number,
  ) {}

  get activeRequests(): number {
    return this.inFlight.size;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get queuedRequests(): number {
    return this.queued.length;
  }

  /**
   * Whether senders should stop feeding this client until it drains: its socket's buffer is over
   * the high-water mark, or over 1 MiB waits for the connection to open.
   */
  get needsDrain(): boolean {
    return this.connected ? this.socket!.writableNeedDrain : this.queuedBytes > QUEUE_HIGH_WATER;
  }

  onceDrained(callback: () => void): void {
    this.drainWaiters.push(callback);
  }

  /**
   * Sends a request decoded by `downstreamCodec` under a fresh request id, which it returns
   * (for `cancel`). Two-way requests are tracked until their response; oneway ones are written
   * and forgotten (returns -1).
   */
  send(request: Message, downstreamCodec: Codec, sink: ResponseSink, mutation?: Mutation): number {
    const accounting = this.accounting;
    accounting.stats.inc("upstream_rq_total");
    let id = -1;
    if (request.kind !== "oneway") {
      id = this.allocateId();
      this.inFlight.set(id, sink);
      accounting.resources.requests.inc();
      accounting.load.activeRequests++;
      accounting.stats.inc("upstream_rq_active");
    }
    request.requestId = id === -1 ? request.requestId : id;
    const bytes = downstreamCodec.encode(request, mutation);
    if (this.connected) writeBatched(this.socket!, bytes);
    else {
      this.queued.push(bytes);
      this.queuedBytes += bytes.length;
      if (this.socket === null) this.open();
    }
    return id;
  }

  /** Forget a request (timed out): a late response is dropped and counted. */
  cancel(id: number): void {
    if (!this.inFlight.delete(id)) return;
    this.requestDone();
    if (this.draining && this.inFlight.size === 0) this.close();
  }

  /** Whether this client holds a socket (open or opening); one without would open a new one. */
  get hasSocket(): boolean {
    return this.socket !== null;
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
    if (message.kind === "heartbeat") {
      // A provider checking an idle link (Dubbo): answer it here; it is not a response.
      this.accounting.stats.inc("upstream_heartbeat");
      const reply = this.codec!.heartbeatReply?.(message);
      if (reply && this.socket) writeBatched(this.socket, reply);
      return;
    }
    const sink = this.inFlight.get(message.requestId);
    if (sink === undefined) {
      this.accounting.stats.inc("upstream_rq_orphaned");
      return;
    }
    this.inFlight.delete(message.requestId);
    this.requestDone();
    this.accounting.stats.inc("upstream_rq_completed");
    sink.onUpstreamResponse(message, this.codec!);
    if (this.draining && this.inFlight.size === 0) this.close();
  }

  onDecodeError(error: CodecError): void {
    this.accounting.stats.inc("upstream_cx_protocol_error");
    this.failAll({ kind: "upstream_failure", message: `upstream protocol error: ${error.message}` }, "protocol-error");
    this.socket?.destroy();
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private requestDone(): void {
    const accounting = this.accounting;
    accounting.resources.requests.dec();
    accounting.load.activeRequests--;
    accounting.stats.dec("upstream_rq_active");
  }

  private allocateId(): number {
    // Skip ids still in flight after a wrap-around.
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.inFlight.has(id)) return id;
    }
  }

  private open(): void {
    const stats = this.accounting.stats;
    stats.inc("upstream_cx_total");
    this.accounting.resources.connections.inc();
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
      stats.inc("upstream_cx_active");
      const queued = this.queued;
      this.queued = [];
      this.queuedBytes = 0;
      for (const bytes of queued) writeBatched(socket, bytes);
      if (!socket.writableNeedDrain) this.notifyDrained();
    });
    socket.on("drain", () => this.notifyDrained());
    socket.on("data", (chunk: Buffer) => this.reader!.push(chunk));
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onClose(socket));
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    clearTimeout(this.connectTimer!);
    const stats = this.accounting.stats;
    this.accounting.resources.connections.dec();
    const wasConnected = this.connected;
    if (wasConnected) {
      stats.dec("upstream_cx_active");
      if (!this.draining) stats.inc("upstream_cx_destroy_remote");
    } else {
      stats.inc("upstream_cx_connect_fail");
    }
    this.socket = null;
    this.connected = false;
    this.reader = null;
    this.queued = [];
    this.queuedBytes = 0;
    this.notifyDrained();
    if (wasConnected) this.failAll({ kind: "upstream_failure", message: "upstream connection closed" }, "reset");
    else this.failAll({ kind: "upstream_failure", message: `cannot connect to ${this.endpoint.host}:${this.endpoint.port}` }, "connect-failure");
  }

  private failAll(error: LocalError, cause: UpstreamFailureCause): void {
    if (this.inFlight.size === 0) return;
    const sinks = [...this.inFlight.values()];
    for (let i = 0; i < sinks.length; i++) this.requestDone();
    this.inFlight.clear();
    for (const sink of sinks) {
      this.accounting.stats.inc("upstream_rq_pending_failure");
      sink.onUpstreamFailure(error, cause);
    }
  }
}
