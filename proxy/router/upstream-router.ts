import type { Codec, LocalError, LocalErrorKind, Message, Mutation } from "../codec/codec.ts";
import type { RouteEntry } from "../config/types.ts";
import type { Cluster, PickResult } from "../cluster/cluster.ts";
import type { EndpointState } from "../cluster/endpoint-state.ts";
import type { ResponseSink, UpstreamFailureCause } from "../cluster/response-sink.ts";
import type { UpstreamClient } from "../cluster/upstream-client.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";
import { MIRROR_TIMEOUT_MS, mirrorRequest } from "./request-mirror.ts";
import { mayRetry, type RetryOn, RetryState } from "./retry-state.ts";
import { perTryTimeoutMessage, routeTimeoutMessage, routeTimeoutMs, startRouteTimer, startTryTimer, type TimeoutTarget } from "./timeouts.ts";

/** What the router needs from the request it sends upstream (the connection manager's ActiveRequest). */
export interface RoutedRequest {
  readonly message: Message;
  /** The downstream connection's codec: it encodes the request for the upstream. */
  readonly codec: Codec;
  /** Header additions for the upstream request; undefined when there are none. */
  readonly upstreamMutation: Mutation | undefined;
  readonly downstreamClosed: boolean;
  /** How long to wait when the route sets no timeout. */
  readonly defaultTimeoutMs: number;
  /**
   * An upstream for one attempt, from the listener's clusters; `tried` endpoints are avoided.
   * `shared`: one of the pool's shared connections even when the codec keeps one per downstream
   * connection (a mirrored copy, which nobody answers downstream).
   */
  pickUpstream(clusterName: string, hashKey: string | undefined, tried?: ReadonlySet<EndpointState>, shared?: boolean): PickResult;
  /** A cluster's counters (a mirror copy with no upstream is counted there). */
  clusterStats(clusterName: string): StatScope<ClusterStat> | undefined;
  /** Back-pressure: stop reading from the downstream until `client` has flushed. */
  waitForUpstream(client: UpstreamClient): void;
  /** The upstream answered: write the response downstream; the request ends. */
  respond(response: Message, codec: Codec): void;
  /** Answer locally with a protocol-correct error; the request ends. */
  reply(kind: LocalErrorKind, text: string): void;
  /** A oneway request was written upstream; nobody waits for a reply, the request ends. */
  onewaySent(): void;
}

/**
 * Sends one request upstream on its route, as Envoy's router filter: picks an endpoint per
 * attempt, applies the route timeout and the per-try timeout, retries as the retry policy allows,
 * mirrors a copy, and reports each attempt's outcome to the cluster's outlier detection. The
 * request ends through `respond`, `reply` or `onewaySent`; after `release` late events are ignored.
 */
export class UpstreamRouter implements ResponseSink, TimeoutTarget {
  /** Attempts sent so far (retries are attempts − 1). */
  attempts = 0;
  /** Whether a copy went to the route's mirror. */
  mirrored = false;
  /** The endpoint of the latest attempt. */
  endpoint: EndpointState | undefined;
  private client: UpstreamClient | undefined;
  private upstream: Cluster | undefined;
  private upstreamId = -1;
  private retry: RetryState | undefined;
  private tryTimer: NodeJS.Timeout | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    private readonly request: RoutedRequest,
    private readonly route: RouteEntry,
    private readonly clusterName: string,
    private readonly hashKey: string | undefined,
  ) {}

  start(): void {
    const request = this.request;
    const timeoutMs = routeTimeoutMs(this.route, request.defaultTimeoutMs);
    if (timeoutMs > 0 && request.message.kind !== "oneway") this.routeTimer = startRouteTimer(this, timeoutMs);
    const mirror = this.route.mirror;
    if (mirror !== undefined && Math.random() * 100 < mirror.percentage) {
      const pick = request.pickUpstream(mirror.cluster, this.hashKey, undefined, true);
      this.mirrored = mirrorRequest(
        pick,
        pick.ok ? undefined : request.clusterStats(mirror.cluster),
        request.message,
        request.codec,
        request.upstreamMutation,
        // A route that waits for ever (timeout 0) still gives up on a lost copy after the default.
        this.route.timeoutMs || MIRROR_TIMEOUT_MS,
      );
    }
    this.sendAttempt();
  }

  onUpstreamResponse(response: Message, codec: Codec): void {
    if (this.released) return;
    this.attemptDone();
    const ok = response.kind !== "error";
    this.upstream!.recordResult(this.endpoint!, ok);
    if (!ok && this.mayRetry("error-reply")) return this.retryAttempt();
    if (this.retry !== undefined && ok) this.upstream!.stats.inc("upstream_rq_retry_success");
    this.request.respond(response, codec);
  }

  onUpstreamFailure(error: LocalError, cause: UpstreamFailureCause): void {
    if (this.released) return;
    this.attemptDone();
    this.upstream!.recordResult(this.endpoint!, false);
    if (cause !== "protocol-error" && this.mayRetry(cause)) return this.retryAttempt();
    this.request.reply(error.kind, error.message);
  }

  /** @internal timer callback */
  onTryTimeout(): void {
    if (this.released) return;
    this.client!.cancel(this.upstreamId);
    this.attemptDone();
    this.upstream!.stats.inc("upstream_rq_timeout");
    this.upstream!.recordResult(this.endpoint!, false);
    if (this.mayRetry("timeout")) return this.retryAttempt();
    this.request.reply("timeout", perTryTimeoutMessage(this.route.retries!.perTryTimeoutMs!));
  }

  /** @internal timer callback */
  onRouteTimeout(): void {
    if (this.released) return;
    this.cancelAttempt();
    this.upstream?.stats.inc("upstream_rq_timeout");
    this.request.reply("timeout", routeTimeoutMessage(this.route, this.request.defaultTimeoutMs));
  }

  /**
   * The client went away: nobody will read the response, so the attempt stops holding its
   * upstream request (`upstream_rq_active`), counted as cancelled.
   */
  cancel(): void {
    if (this.released) return;
    if (this.cancelAttempt()) this.upstream!.stats.inc("upstream_rq_cancelled");
  }

  /** The request ended: stop the timers and give back the retry it holds. */
  release(): void {
    this.released = true;
    clearTimeout(this.tryTimer);
    clearTimeout(this.routeTimer);
    this.retry?.release();
  }

  private sendAttempt(): void {
    const request = this.request;
    const pick = request.pickUpstream(this.clusterName, this.hashKey, this.retry?.tried);
    if (!pick.ok) {
      request.reply(pick.kind, pick.message);
      return;
    }
    const client = pick.client;
    this.client = client;
    this.endpoint = pick.endpoint;
    this.upstream = pick.cluster;
    this.attempts++;
    this.upstreamId = client.send(request.message, request.codec, this, request.upstreamMutation);
    if (client.needsDrain) request.waitForUpstream(client);
    if (request.message.kind === "oneway") {
      request.onewaySent();
      return;
    }
    const perTry = this.route.retries?.perTryTimeoutMs;
    if (perTry !== undefined) this.tryTimer = startTryTimer(this, perTry);
  }

  /** Forgets the attempt in flight, if any; returns whether there was one. */
  private cancelAttempt(): boolean {
    if (this.client === undefined || this.upstreamId === -1) return false;
    this.client.cancel(this.upstreamId);
    this.attemptDone();
    return true;
  }

  private attemptDone(): void {
    clearTimeout(this.tryTimer);
    this.upstreamId = -1;
  }

  private mayRetry(cause: RetryOn): boolean {
    return !this.request.downstreamClosed && mayRetry(this.route.retries, this.attempts, cause, this.upstream!);
  }

  private retryAttempt(): void {
    const cluster = this.upstream!;
    this.retry ??= new RetryState(cluster);
    this.retry.tried.add(this.endpoint!);
    cluster.stats.inc("upstream_rq_retry");
    // The bytes of the previous attempt may still wait in a socket buffer or a connect queue, and
    // sending rewrites the request id inside the frame: give this attempt its own copy.
    const message = this.request.message;
    message.frame = Buffer.from(message.frame);
    this.sendAttempt();
  }
}
