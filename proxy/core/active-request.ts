import type { Codec, LocalError, LocalErrorKind, Message, Metadata } from "../codec/codec.ts";
import type { HeaderMutation, ListenerConfig, RetryPolicy, RouteEntry } from "../config/types.ts";
import type { Cluster, EndpointState } from "../cluster/cluster-manager.ts";
import type { UpstreamAffinity } from "../cluster/endpoint-pool.ts";
import type { RequestContext, RequestFilter } from "../filters/filter.ts";
import type { ListenerContext } from "./listener-context.ts";
import { metadataObject, nowMs, roundMs, type AccessLogEntry } from "../access-log/access-log-entry.ts";
import type { RequestSpan } from "../tracing/request-tracer.ts";
import type { ResponseSink, UpstreamFailureCause } from "./response-sink.ts";
import type { UpstreamClient } from "./upstream-client.ts";

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

type RetryOn = RetryPolicy["retryOn"][number];

/** Minimum retries allowed however low the active request count (Envoy's min_retry_concurrency). */
const MIN_RETRY_CONCURRENCY = 3;
/** How long a mirrored request may stay unanswered when its route sets no timeout. */
const MIRROR_TIMEOUT_MS = 15_000;
/** How long a request may wait for its response when its route sets no timeout (Envoy's default route timeout). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * One request from decode to reply: runs the listener's filter chain, then (as the router, the
 * last filter) sends it upstream with the route's mirror, timeout and retry policies, and writes
 * the response back with the response mutation applied. Late events after the request finished
 * (a response after a timeout, a timer after a response) are ignored.
 */
export class ActiveRequest implements RequestContext, ResponseSink {
  cluster: string | undefined;
  fault: "abort" | "delay" | null = null;
  readonly requestMutation: HeaderMutation[];
  readonly responseMutation: HeaderMutation[];
  /** The chain as it was when the request arrived: a listener update mid-request must not shift it. */
  private readonly filters: ReadonlyArray<RequestFilter>;
  private filterIndex = 0;
  private finished = false;
  private readonly originalId: number;
  private attempts = 0;
  private retrying = false;
  /** The cluster object whose activeRetries this request holds (clusters can be replaced meanwhile). */
  private retryCluster: Cluster | undefined;
  /** Endpoints earlier attempts used; created on the first retry only. */
  private tried: Set<EndpointState> | undefined;
  private client: UpstreamClient | undefined;
  private endpoint: EndpointState | undefined;
  private upstream: Cluster | undefined;
  private upstreamId = -1;
  private tryTimer: NodeJS.Timeout | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  /** When the request was decoded (for its duration metric and access log line). */
  private readonly startMs: number;
  private mirrored = false;
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
    // No timeout on the route: the listener's default; an explicit 0 waits for ever (as Envoy).
    const timeoutMs = route.timeoutMs ?? this.defaultTimeoutMs();
    if (timeoutMs > 0 && this.message.kind !== "oneway") this.routeTimer = setTimeout(onRouteTimeout, timeoutMs, this);
    if (route.mirror !== undefined && Math.random() * 100 < route.mirror.percentage) this.mirror(route.mirror.cluster);
    this.sendAttempt();
  }

  onUpstreamResponse(response: Message, codec: Codec): void {
    if (this.finished) return;
    this.attemptDone();
    const ok = response.kind !== "error";
    this.upstream!.recordResult(this.endpoint!, ok);
    if (!ok && this.mayRetry("error-reply")) return this.retry();
    if (this.retrying && ok) this.upstream!.stats.inc("upstream_rq_retry_success");
    this.finish();
    response.requestId = this.originalId;
    const rewritten = this.downstream.codec.rewriteResponse?.(response, this.message, this.listener);
    const bytes = rewritten ?? codec.encode(response, this.responseMutation.length > 0 ? this.responseMutation : undefined);
    this.downstream.codec.restoreRequestId?.(bytes, this.message);
    this.downstream.write(bytes);
    this.done("response", bytes.length, undefined, response.kind);
  }

  onUpstreamFailure(error: LocalError, cause: UpstreamFailureCause): void {
    if (this.finished) return;
    this.attemptDone();
    this.upstream!.recordResult(this.endpoint!, false);
    if (cause !== "protocol-error" && this.mayRetry(cause)) return this.retry();
    this.reply(error.kind, error.message);
  }

  private sendAttempt(): void {
    const ctx = this.listenerContext;
    const pick = ctx.clusters.pick(this.cluster!, ctx.config.codec, this.downstream.codec.upstreamCodecFactory ?? ctx.codecFactory, this.hashKey(), this.tried, this.downstream.upstreamAffinity);
    if (!pick.ok) {
      this.reply(pick.kind, pick.message);
      return;
    }
    this.client = pick.client;
    this.endpoint = pick.endpoint;
    this.upstream = pick.cluster;
    pick.endpoint.activeRequests++;
    this.attempts++;
    this.upstreamId = pick.client.send(this.message, this.downstream.codec, this, this.requestMutation.length > 0 ? this.requestMutation : undefined);
    if (pick.client.needsDrain) this.downstream.waitForUpstream(pick.client);
    if (this.message.kind === "oneway") {
      // Nobody waits for a oneway reply: the request is done once written.
      pick.endpoint.activeRequests--;
      this.finish();
      this.done("oneway", 0);
      return;
    }
    const perTry = this.route!.retries?.perTryTimeoutMs;
    if (perTry !== undefined) this.tryTimer = setTimeout(onTryTimeout, perTry, this);
  }

  /** @internal timer callback */
  onTryTimeout(): void {
    if (this.finished) return;
    this.client!.cancel(this.upstreamId);
    this.attemptDone();
    this.upstream!.stats.inc("upstream_rq_timeout");
    this.upstream!.recordResult(this.endpoint!, false);
    if (this.mayRetry("timeout")) return this.retry();
    this.reply("timeout", `no response within the per-try timeout of ${this.route!.retries!.perTryTimeoutMs} ms`);
  }

  /** @internal timer callback */
  onRouteTimeout(): void {
    if (this.finished) return;
    if (this.client && this.upstreamId !== -1) {
      this.client.cancel(this.upstreamId);
      this.attemptDone();
    }
    this.upstream?.stats.inc("upstream_rq_timeout");
    const explicit = this.route!.timeoutMs;
    this.reply("timeout", explicit !== undefined ? `no response within the route timeout of ${explicit} ms` : `no response within the default timeout of ${this.defaultTimeoutMs()} ms`);
  }

  /**
   * The client went away: nobody will read the response, so the request stops holding its
   * upstream slot (`upstream_rq_active`) and its retry, and is counted as cancelled.
   */
  cancel(): void {
    if (this.finished) return;
    if (this.client && this.upstreamId !== -1) {
      this.client.cancel(this.upstreamId);
      this.attemptDone();
      this.upstream!.stats.inc("upstream_rq_cancelled");
    }
    this.finish();
    this.done("cancelled", 0);
  }

  private mayRetry(cause: RetryOn): boolean {
    const policy = this.route?.retries;
    if (policy === undefined || this.attempts > policy.attempts || !policy.retryOn.includes(cause) || this.downstream.closed) return false;
    const cluster = this.upstream!;
    const maxRetries = cluster.config.circuitBreakers?.maxRetries;
    const budget = policy.budget !== undefined ? Math.max(MIN_RETRY_CONCURRENCY, policy.budget * cluster.activeRequests) : Number.POSITIVE_INFINITY;
    if (cluster.activeRetries >= Math.min(budget, maxRetries ?? Number.POSITIVE_INFINITY)) {
      cluster.stats.inc("upstream_rq_retry_overflow");
      return false;
    }
    return true;
  }

  private retry(): void {
    const cluster = this.upstream!;
    (this.tried ??= new Set()).add(this.endpoint!);
    cluster.stats.inc("upstream_rq_retry");
    if (!this.retrying) {
      this.retrying = true;
      this.retryCluster = cluster;
      cluster.activeRetries++;
    }
    // The bytes of the previous attempt may still wait in a socket buffer or a connect queue, and
    // sending rewrites the request id inside the frame: give this attempt its own copy.
    this.message.frame = Buffer.from(this.message.frame);
    this.sendAttempt();
  }

  private attemptDone(): void {
    clearTimeout(this.tryTimer);
    this.upstreamId = -1;
    if (this.endpoint) this.endpoint.activeRequests--;
  }

  private finish(): void {
    this.finished = true;
    this.downstream.requests.delete(this);
    clearTimeout(this.tryTimer);
    clearTimeout(this.routeTimer);
    if (this.retrying) {
      this.retrying = false;
      this.retryCluster!.activeRetries--;
    }
  }

  /**
   * Fire and forget a copy to another cluster; its response is discarded but counted, so that a
   * copy the mirror never received shows as failed rather than as sent.
   */
  private mirror(clusterName: string): void {
    const ctx = this.listenerContext;
    const pick = ctx.clusters.pick(clusterName, ctx.config.codec, this.downstream.codec.upstreamCodecFactory ?? ctx.codecFactory, this.hashKey());
    if (!pick.ok) {
      const cluster = ctx.clusters.get(clusterName);
      cluster?.stats.inc("mirror_rq_total");
      cluster?.stats.inc("mirror_rq_failed");
      return;
    }
    const m = this.message;
    // A copy, because sending rewrites the request id inside the frame.
    const detail = typeof m.detail === "object" && m.detail !== null ? cloneKeepingClass(m.detail) : m.detail;
    const copy: Message = { kind: m.kind, requestId: m.requestId, metadata: m.metadata, frame: Buffer.from(m.frame), detail };
    this.mirrored = true;
    const stats = pick.cluster.stats;
    stats.inc("mirror_rq_total");
    const sink = new MirrorSink(stats, pick.client);
    sink.id = pick.client.send(copy, this.downstream.codec, sink, this.requestMutation.length > 0 ? this.requestMutation : undefined);
    stats.inc("mirror_rq_sent");
    // Nobody waits for a mirrored response, so nothing else would ever give up on a lost one.
    if (sink.id !== -1) sink.timer = setTimeout(onMirrorTimeout, this.route?.timeoutMs ?? MIRROR_TIMEOUT_MS, sink);
  }

  /** The request ended: its labelled metrics, and its access log line when the listener keeps one. */
  private done(outcome: AccessLogEntry["outcome"], bytesOut: number, localReply?: string, responseKind?: string): void {
    const end = nowMs();
    const ctx = this.listenerContext;
    const metadata = this.message.metadata;
    const method = metadata.get("method") ?? metadata.get("api_name") ?? "unknown";
    const result = outcome === "response" ? (responseKind === "error" ? "error" : "ok") : outcome === "local-reply" ? localReply! : outcome;
    ctx.requestMetrics.record(this.listener.codec, this.cluster, this.endpoint?.workload, method, result, end - this.startMs);
    if (this.span !== undefined) {
      this.span.end(
        {
          "rpc.system": this.listener.codec,
          "rpc.method": method,
          "meshsim.listener": this.listener.name,
          "meshsim.route": this.route?.name ?? "",
          "meshsim.cluster": this.cluster ?? "",
          "server.address": this.endpoint?.key ?? "",
          "meshsim.outcome": result,
          "meshsim.retries": Math.max(0, this.attempts - 1),
          "meshsim.mirrored": this.mirrored,
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
      upstreamHost: this.endpoint?.key ?? null,
      outcome,
      ...(responseKind !== undefined && { responseKind }),
      ...(localReply !== undefined && { localReply }),
      retries: Math.max(0, this.attempts - 1),
      fault: this.fault,
      mirrored: this.mirrored,
      bytesIn: this.message.frame.length,
      bytesOut,
    });
  }

  /** The codec's own default where it has one (Kafka: none), else the listener's. */
  private defaultTimeoutMs(): number {
    return this.downstream.codec.defaultTimeoutMs ?? this.listenerContext.defaultTimeoutMs;
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

function onRouteTimeout(request: ActiveRequest): void {
  request.onRouteTimeout();
}

function onTryTimeout(request: ActiveRequest): void {
  request.onTryTimeout();
}

/** Counts how one mirrored copy ended: a response (completed), or a failure or timeout (failed). */
class MirrorSink implements ResponseSink {
  id = -1;
  timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: Cluster["stats"],
    private readonly client: UpstreamClient,
  ) {}

  onUpstreamResponse(): void {
    clearTimeout(this.timer);
    this.stats.inc("mirror_rq_completed");
  }

  onUpstreamFailure(): void {
    clearTimeout(this.timer);
    this.stats.inc("mirror_rq_failed");
  }

  /** @internal timer callback */
  onTimeout(): void {
    this.client.cancel(this.id);
    this.stats.inc("mirror_rq_failed");
  }
}

function onMirrorTimeout(sink: MirrorSink): void {
  sink.onTimeout();
}

/** A shallow copy that keeps the prototype, so codecs can still recognise their detail class. */
function cloneKeepingClass<T extends object>(value: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as T, value);
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
