import { metadataObject, nowMs, roundMs, type AccessLogSink } from "../../access-log/access-log-entry.ts";
import type { ListenerConfig } from "../../config/types.ts";
import type { CompiledRoute } from "./router.ts";

/**
 * What the access log says of one Redis command, filled in as the command goes through the
 * Redis path (routing, faults, the upstream node) and written when its reply is queued. Exists
 * only while the listener keeps an access log.
 */
export class RedisRequestLog {
  readonly startMs = nowMs();
  key: string | null = null;
  route: string | null = null;
  cluster: string | null = null;
  upstreamHost: string | null = null;
  fault: "abort" | "delay" | null = null;
  mirrored = false;
  /** Set when the proxy answered itself: the reason (no_route, fault_abort, upstream_failure ...). */
  localReply: string | null = null;

  constructor(
    readonly command: string,
    readonly bytesIn: number,
  ) {}

  routed(route: CompiledRoute, key: Buffer, keyStart: number, keyEnd: number): void {
    this.route = route.prefix.length === 0 ? "catch_all" : `prefix:${route.prefix.toString("latin1")}`;
    this.cluster = route.cluster;
    this.key = key.toString("latin1", keyStart, keyEnd);
  }

  write(sink: AccessLogSink, listener: ListenerConfig, reply: Buffer): void {
    const metadata = new Map<string, string>([["command", this.command]]);
    if (this.key !== null) metadata.set("key", this.key);
    const local = this.localReply !== null;
    sink.write({
      startTime: new Date(this.startMs).toISOString(),
      durationMs: roundMs(nowMs() - this.startMs),
      protocol: "redis",
      listener: listener.name,
      metadata: metadataObject(metadata),
      route: this.route,
      cluster: this.cluster,
      upstreamHost: this.upstreamHost,
      outcome: local ? "local-reply" : "response",
      ...(local ? { localReply: this.localReply! } : { responseKind: reply[0] === 45 /* - */ || reply[0] === 33 /* ! */ ? "error" : "response" }),
      retries: 0,
      fault: this.fault,
      mirrored: this.mirrored,
      bytesIn: this.bytesIn,
      bytesOut: reply.length,
    });
  }
}

/** A reply the proxy wrote itself: its error code (`ERR`, `NOAUTH`, `CROSSSLOT` ...), or "answered" (PING, AUTH ...). */
export function localReason(reply: Buffer): string {
  if (reply[0] !== 45) return "answered";
  const space = reply.indexOf(32);
  const end = space > 0 ? space : reply.indexOf(13);
  return reply.toString("latin1", 1, end > 0 ? end : reply.length);
}
