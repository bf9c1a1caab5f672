import type { Socket } from "node:net";
import type { Codec, CodecError, LocalErrorKind, Message } from "../codec/codec.ts";
import type { ListenerStat } from "../stats/stats.ts";
import { UpstreamAffinity } from "../cluster/endpoint-pool.ts";
import { ActiveRequest, type Downstream } from "./active-request.ts";
import { writeBatched } from "./batched-write.ts";
import type { ListenerContext } from "./listener-context.ts";
import { MessageReader, type MessageHandler } from "./message-reader.ts";
import type { UpstreamClient } from "../cluster/upstream-client.ts";

const LOCAL_REPLY_STAT: Record<LocalErrorKind, ListenerStat> = {
  no_route: "local_reply_no_route",
  no_cluster: "local_reply_no_cluster",
  no_healthy_endpoint: "local_reply_no_healthy_endpoint",
  upstream_failure: "local_reply_upstream_failure",
  timeout: "local_reply_timeout",
  overflow: "local_reply_overflow",
  rate_limited: "local_reply_rate_limited",
  fault_abort: "local_reply_fault_abort",
  unauthorized: "local_reply_unauthorized",
};

/**
 * One client connection: decodes requests and hands each to an ActiveRequest with the route
 * selected by the route table current at that moment. Responses are written in the order they
 * arrive (these protocols match responses by request id, not by position).
 */
export class DownstreamConnection implements MessageHandler, Downstream {
  private readonly reader: MessageReader;
  readonly codec: Codec;
  /** This connection's own upstream connections, when the codec asks for them. */
  readonly upstreamAffinity: UpstreamAffinity | undefined;
  closed = false;
  readonly requests = new Set<ActiveRequest>();
  private destroyedLocally = false;
  /** Reasons reading is paused (a full write buffer, saturated upstream sockets); reading resumes at 0. */
  private holds = 0;
  private waitingForDrain = false;
  private readonly waitingUpstreams = new Set<UpstreamClient>();

  constructor(
    private readonly socket: Socket,
    private readonly listener: ListenerContext,
  ) {
    this.codec = listener.codecFactory();
    this.upstreamAffinity = this.codec.upstreamAffinity === "per-downstream" ? new UpstreamAffinity() : undefined;
    this.reader = new MessageReader(this.codec, this);
    const stats = listener.stats;
    stats.inc("downstream_cx_total");
    stats.inc("downstream_cx_active");
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.reader.push(chunk));
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => {
      this.closed = true;
      this.reader.stop();
      this.upstreamAffinity?.release();
      stats.dec("downstream_cx_active");
      listener.connections.delete(this);
      if (this.requests.size > 0) {
        if (!this.destroyedLocally) stats.inc("downstream_cx_destroy_remote_active_rq");
        // Nobody is left to read these responses: release their upstream slots now. Requests on
        // this connection's own upstream connections (Kafka) finish there instead: those drain,
        // so the answer still comes (and is dropped) before the connection closes.
        if (this.upstreamAffinity === undefined) for (const r of this.requests) r.cancel();
      }
      const counters = this.codec.counters;
      if (counters) for (const [k, v] of Object.entries(counters)) listener.retiredCodecCounters.set(k, (listener.retiredCodecCounters.get(k) ?? 0) + v);
    });
    listener.connections.add(this);
  }

  onMessage(message: Message): void {
    const kind = message.kind;
    const stats = this.listener.stats;
    if (kind === "heartbeat") {
      stats.inc("downstream_heartbeat");
      const reply = this.codec.heartbeatReply?.(message);
      if (reply) writeBatched(this.socket, reply);
      return;
    }
    if (kind !== "request" && kind !== "oneway") return; // a client sends only requests
    stats.inc("downstream_rq_total");
    if (kind === "oneway") stats.inc("downstream_rq_oneway");
    const decision = this.listener.routes()?.select(message.metadata);
    new ActiveRequest(this, message, this.listener, decision?.route, decision?.cluster).resume();
  }

  onDecodeError(error: CodecError): void {
    const stats = this.listener.stats;
    stats.inc(error.code === "too_large" ? "downstream_rq_too_large" : "downstream_cx_protocol_error");
    stats.inc("downstream_cx_destroy_local");
    // The stream is no longer in sync, so no reply can be framed: close this connection only.
    this.close();
  }

  write(bytes: Buffer): void {
    if (this.closed) return;
    // A client that does not read its replies stops being read from, so it cannot make more.
    if (!writeBatched(this.socket, bytes) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.hold();
      this.socket.once("drain", () => {
        this.waitingForDrain = false;
        this.release();
      });
    }
  }

  localReply(request: Message, kind: LocalErrorKind, text: string): number {
    this.listener.stats.inc(LOCAL_REPLY_STAT[kind]);
    if (request.kind === "oneway" || this.closed) return 0; // nobody waits for a oneway reply
    const bytes = this.codec.localReply(request, { kind, message: text });
    this.write(bytes);
    return bytes.length;
  }

  /** Stop reading this client until `upstream` has flushed what it was given. */
  waitForUpstream(upstream: UpstreamClient): void {
    if (this.closed || this.waitingUpstreams.has(upstream)) return;
    this.waitingUpstreams.add(upstream);
    this.hold();
    upstream.onceDrained(() => {
      this.waitingUpstreams.delete(upstream);
      this.release();
    });
  }

  private hold(): void {
    if (this.holds++ === 0) {
      this.socket.pause();
      this.listener.stats.inc("downstream_flow_control_paused_reading_total");
    }
  }

  private release(): void {
    if (--this.holds === 0 && !this.closed) {
      this.socket.resume();
      this.listener.stats.inc("downstream_flow_control_resumed_reading_total");
    }
  }

  close(): void {
    this.destroyedLocally = true;
    this.socket.destroy();
  }
}
