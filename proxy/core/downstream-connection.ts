import type { Socket } from "node:net";
import type { Codec, CodecError, LocalError, LocalErrorKind, Message } from "../codec/codec.ts";
import { writeBatched } from "./batched-write.ts";
import { MessageReader, type MessageHandler } from "./message-reader.ts";
import type { ResponseSink } from "./response-sink.ts";
import type { ListenerContext } from "./listener-context.ts";

const LOCAL_REPLY_STAT = {
  no_route: "local_reply_no_route",
  no_cluster: "local_reply_no_cluster",
  no_healthy_endpoint: "local_reply_no_healthy_endpoint",
  upstream_failure: "local_reply_upstream_failure",
} as const;

/**
 * One client connection: decodes requests, routes each one with the route table current at
 * that moment, and writes responses back in the order they arrive (the protocols here match
 * responses by request id, not by position).
 */
export class DownstreamConnection implements MessageHandler, ResponseSink {
  private readonly reader: MessageReader;
  private readonly codec: Codec;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly listener: ListenerContext,
  ) {
    this.codec = listener.codecFactory();
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
      stats.dec("downstream_cx_active");
      listener.connections.delete(this);
    });
    listener.connections.add(this);
  }

  onMessage(message: Message): void {
    const kind = message.kind;
    if (kind !== "request" && kind !== "oneway") return; // a client sends only requests
    const stats = this.listener.stats;
    stats.inc("downstream_rq_total");
    if (kind === "oneway") stats.inc("downstream_rq_oneway");

    const table = this.listener.routes();
    const decision = table?.select(message.metadata);
    if (decision === undefined) {
      this.reply(message, "no_route", `no route for ${describe(message)} in ${this.listener.config.routeConfigName}`);
      return;
    }
    const pick = this.listener.clusters.pick(decision.cluster, this.listener.config.codec, this.listener.codecFactory);
    if (!pick.ok) {
      this.reply(message, pick.kind, `${pick.kind.replace(/_/g, " ")} for cluster ${decision.cluster}`);
      return;
    }
    pick.client.send(message, this.codec, this);
  }

  onDecodeError(error: CodecError): void {
    const stats = this.listener.stats;
    stats.inc(error.code === "too_large" ? "downstream_rq_too_large" : "downstream_cx_protocol_error");
    stats.inc("downstream_cx_destroy_local");
    // The stream is no longer in sync, so no reply can be framed: close this connection only.
    this.socket.destroy();
  }

  onUpstreamResponse(bytes: Buffer): void {
    if (!this.closed) writeBatched(this.socket, bytes);
  }

  onUpstreamFailure(request: Message, error: LocalError): void {
    this.reply(request, error.kind, error.message);
  }

  close(): void {
    this.socket.destroy();
  }

  private reply(request: Message, kind: LocalErrorKind, text: string): void {
    const stat = LOCAL_REPLY_STAT[kind as keyof typeof LOCAL_REPLY_STAT];
    if (stat) this.listener.stats.inc(stat);
    if (request.kind === "oneway" || this.closed) return; // nobody waits for a oneway reply
    writeBatched(this.socket, this.codec.localReply(request, { kind, message: text }));
  }
}

function describe(message: Message): string {
  const parts: string[] = [];
  for (const [k, v] of message.metadata) parts.push(`${k}=${v}`);
  return parts.join(",") || "request";
}
