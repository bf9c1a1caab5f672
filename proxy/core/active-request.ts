import type { Codec, LocalErrorKind, Message, Metadata, Mutation } from "../codec/codec.ts";
import type { HeaderMutation, ListenerConfig, RouteEntry } from "../config/types.ts";
import type { PickResult } from "../cluster/cluster.ts";
import type { UpstreamAffinity } from "../cluster/endpoint-pool.ts";
import type { EndpointState } from "../cluster/endpoint-state.ts";
import type { UpstreamClient } from "../cluster/upstream-client.ts";
import type { RequestFilter } from "../filters/filter.ts";
import type { RoutableRequest } from "../router/router-filter.ts";
import { type RoutedRequest, UpstreamRouter } from "../router/upstream-router.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";
import type { ListenerContext } from "./listener-context.ts";
import { metadataObject, nowMs, roundMs, type AccessLogEntry } from "../access-log/access-log-entry.ts";
import type { RequestSpan } from "../tracing/request-tracer.ts";

/** What an ActiveRequest needs from the connection it arrived on. */
export interface Downstream {
  readonly codec: Codec;
  readonly closed: boolean;
  /** Set when the codec asks for per-downstream upstream connections: the owner of this connection's own. */
  readonly upstreamAffinity?: UpstreamAffinity | undefined;
  write(bytes: Buffer): void;
  /** Returns the number of bytes written (0 when nobody waits for the reply). */
  localReply(request: Message, kind: LocalErrorKind, text: string): number;
  /** Back-pressure: stop reading requests until `upstream` has flushed its socket. */
  waitForUpstream(upstream: UpstreamClient): void;
  /** Requests not finished yet, released when the connection closes. */
  readonly requests: Set<ActiveRequest>;
}

/**
 * One request from decode to reply, as Envoy's connection manager keeps it: runs the listener's
 * filter chain; the router (the last filter) hands it to an UpstreamRouter, and the response or
 * local reply is written back here, with the response mutation applied, then logged. Late events
 * after the request finished are ignored.
 */
export class ActiveRequest implements RoutableRequest, RoutedRequest {
  cluster: string | undefined;
  fault: "abort" | "delay" | null = null;
  readonly requestMutation: HeaderMutation[];
  readonly responseMutation: HeaderMutation[];
  /** The chain as it was when the request arrived: a listener update mid-request must not shift it. */
  private readonly filters: ReadonlyArray<RequestFilter<RoutableRequest>>;
  private filterIndex = 0;
  private finished = false;
  private readonly originalId: number;
  /** Set once the router forwards the request. */
  private router: UpstreamRouter | undefined;
  /** When the request was decoded (for its duration metric and access log line). */
  private readonly startMs: number;
  /** Set when this request is traced. */
  private readonly span: RequestSpan | undefined;

  constructor(
    private readonly downstream: Downstream,
    readonly message: Message,
    private readonly listenerContext: ListenerContext,
    readonly route: RouteEntry | undefined,
    cluster: string | undefined,
  ) {
    this.cluster = cluster;
    this.filters = listenerContext.filters;
    this.originalId = message.requestId;
    this.startMs = nowMs();
    this.requestMutation = route?.requestMutation ? [...route.requestMutation] : [];
    this.responseMutation = route?.responseMutation ? [...route.responseMutation] : [];
    const tracing = listenerContext.config.tracing;
    this.span = tracing !== undefined ? listenerContext.tracer?.start(tracing, spanName(message.metadata, listenerContext.config), message.metadata, this.startMs, this.requestMutation) : undefined;
    downstream.requests.add(this);
  }

  get metadata(): Metadata {
    return this.message.metadata;
  }

  get listener(): ListenerConfig {
    return this.listenerContext.config;
  }

  get downstreamClosed(): boolean {
    return this.downstream.closed;
  }

  get codec(): Codec {
    return this.downstream.codec;
  }

  get upstreamMutation(): Mutation | undefined {
    return this.requestMutation.length > 0 ? this.requestMutation : undefined;
  }

  /** The codec's own default where it has one (Kafka: none), else the listener's. */
  get defaultTimeoutMs(): number {
    return this.downstream.codec.defaultTimeoutMs ?? this.listenerContext.defaultTimeoutMs;
  }

  /** Runs the filter chain from where it stopped. */
  resume(): void {
    const filters = this.filters;
    while (!this.finished && this.filterIndex < filters.length) {
      if (filters[this.filterIndex++]!.onRequest(this) === "stop") return;
    }
  }

  reply(kind: LocalErrorKind, text: string): void {
    if (this.finished) return;
    this.finish();
    this.message.requestId = this.originalId;
    const written = this.downstream.localReply(this.message, kind, text);
    this.done("local-reply", written, kind);
  }

  /** The router: called by the last filter. */
  forward(): void {
    const route = this.route;
    if (route === undefined || this.cluster === undefined) {
      this.reply("no_route", `no route for ${describe(this.message.metadata)} in ${this.listener.routeConfigName}`);
      return;
    }
    this.router = new UpstreamRouter(this, route, this.cluster, this.hashKey());
    this.router.start();
  }

  pickUpstream(clusterName: string, hashKey: string | undefined, tried?: ReadonlySet<EndpointState>, shared = false): PickResult {
    const ctx = this.listenerContext;
    return ctx.clusters.pick(clusterName, ctx.config.codec, this.downstream.codec.upstreamCodecFactory ?? ctx.codecFactory, hashKey, tried, shared ? undefined : this.downstream.upstreamAffinity);
  }

  clusterStats(clusterName: string): StatScope<ClusterStat> | undefined {
    return this.listenerContext.clusters.get(clusterName)?.stats;
  }

  waitForUpstream(client: UpstreamClient): void {
    this.downstream.waitForUpstream(client);
  }

  respond(response: Message, codec: Codec): void {
    if (this.finished) return;
    this.finish();
    response.requestId = this.originalId;
    const rewritten = this.downstream.codec.rewriteResponse?.(response, this.message, this.listener);
    const bytes = rewritten ?? codec.encode(response, this.responseMutation.length > 0 ? this.responseMutation : undefined);
    this.downstream.codec.restoreRequestId?.(bytes, this.message);
    this.downstream.write(bytes);
    this.done("response", bytes.length, undefined, response.kind);
  }

  onewaySent(): void {
    if (this.finished) return;
    this.finish();
    this.done("oneway", 0);
  }

  /**
   * The client went away: nobody will read the response, so the request stops holding its
   * upstream request and its retry, and is counted as cancelled.
   */
  cancel(): void {
    if (this.finished) return;
    this.router?.cancel();
    this.finish();
    this.done("cancelled", 0);
  }

  private finish(): void {
    this.finished = true;
    this.downstream.requests.delete(this);
    this.router?.release();
  }

  /** The request ended: its labelled metrics, and its access log line when the listener keeps one. */
  private done(outcome: AccessLogEntry["outcome"], bytesOut: number, localReply?: string, responseKind?: string): void {
    const end = nowMs();
    const ctx = this.listenerContext;
    const metadata = this.message.metadata;
    const method = metadata.get("method") ?? metadata.get("api_name") ?? "unknown";
    const result = outcome === "response" ? (responseKind === "error" ? "error" : "ok") : outcome === "local-reply" ? localReply! : outcome;
    ctx.requestMetrics.record(this.listener.codec, this.cluster, this.router?.endpoint?.workload, method, result, end - this.startMs);
    if (this.span !== undefined) {
      this.span.end(
        {
          "rpc.system": this.listener.codec,
          "rpc.method": method,
          "meshsim.listener": this.listener.name,
          "meshsim.route": this.route?.name ?? "",
          "meshsim.cluster": this.cluster ?? "",
          "server.address": this.router?.endpoint?.key ?? "",
          "meshsim.outcome": result,
          "meshsim.retries": this.retries(),
          "meshsim.mirrored": this.router?.mirrored ?? false,
          ...(this.fault !== null && { "meshsim.fault": this.fault }),
        },
        result !== "ok" && result !== "oneway",
        end,
      );
    }
    if (ctx.accessLog === undefined) return;
    ctx.accessLog.write({
      startTime: new Date(this.startMs).toISOString(),
      durationMs: roundMs(end - this.startMs),
      protocol: this.listener.codec,
      listener: this.listener.name,
      metadata: metadataObject(this.message.metadata),
      route: this.route?.name ?? null,
      cluster: this.cluster ?? null,
      upstreamHost: this.router?.endpoint?.key ?? null,
      outcome,
      ...(responseKind !== undefined && { responseKind }),
      ...(localReply !== undefined && { localReply }),
      retries: this.retries(),
      fault: this.fault,
      mirrored: this.router?.mirrored ?? false,
      bytesIn: this.message.frame.length,
      bytesOut,
    });
  }

  /** Retries sent (attempts after the first). */
  private retries(): number {
    return Math.max(0, (this.router?.attempts ?? 0) - 1);
  }

  private hashKey(): string | undefined {
    const keys = this.route?.hashPolicy;
    if (keys === undefined || keys.length === 0) return undefined;
    let key: string | undefined;
    for (const k of keys) {
      const v = this.message.metadata.get(k);
      if (v !== undefined) key = key === undefined ? v : `${key}\u0000${v}`;
    }
    return key;
  }
}

/** `<service>/<method>` as RPC spans are named; the listener's host when the codec names no service. */
function spanName(metadata: Metadata, listener: ListenerConfig): string {
  const service = metadata.get("service") ?? metadata.get("interface") ?? listener.routeConfigName.replace(/_\d+$/, "");
  return `${service}/${metadata.get("method") ?? metadata.get("api_name") ?? "request"}`;
}

function describe(metadata: Metadata): string {
  const parts: string[] = [];
  for (const [k, v] of metadata) parts.push(`${k}=${v}`);
  return parts.join(",") || "request";
}
