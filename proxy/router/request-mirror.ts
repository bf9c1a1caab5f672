import type { Codec, Message, Mutation } from "../codec/codec.ts";
import type { PickResult } from "../cluster/cluster.ts";
import type { ResponseSink } from "../cluster/response-sink.ts";
import type { UpstreamClient } from "../cluster/upstream-client.ts";
import type { ClusterStat, StatScope } from "../stats/stats.ts";

/** How long a mirrored request may stay unanswered when its route sets no timeout. */
export const MIRROR_TIMEOUT_MS = 15_000;

/**
 * Fire and forget a copy of `message` to the mirror cluster `pick` chose; its response is
 * discarded but counted (`mirror_rq_total`, `_sent`, `_completed`, `_failed`), so that a copy
 * the mirror never received shows as failed rather than as sent. `missingStats` counts a copy
 * for which no upstream could be picked. Returns whether a copy was sent.
 */
export function mirrorRequest(pick: PickResult, missingStats: StatScope<ClusterStat> | undefined, message: Message, codec: Codec, mutation: Mutation | undefined, timeoutMs: number): boolean {
  if (!pick.ok) {
    missingStats?.inc("mirror_rq_total");
    missingStats?.inc("mirror_rq_failed");
    return false;
  }
  // A copy, because sending rewrites the request id inside the frame.
  const detail = typeof message.detail === "object" && message.detail !== null ? cloneKeepingClass(message.detail) : message.detail;
  const copy: Message = { kind: message.kind, requestId: message.requestId, metadata: message.metadata, frame: Buffer.from(message.frame), detail };
  const stats = pick.cluster.stats;
  stats.inc("mirror_rq_total");
  const sink = new MirrorSink(stats, pick.client);
  sink.id = pick.client.send(copy, codec, sink, mutation);
  stats.inc("mirror_rq_sent");
  // Nobody waits for a mirrored response, so nothing else would ever give up on a lost one.
  if (sink.id !== -1) sink.timer = setTimeout(onMirrorTimeout, timeoutMs, sink);
  return true;
}

/** Counts how one mirrored copy ended: a response (completed), or a failure or timeout (failed). */
class MirrorSink implements ResponseSink {
  id = -1;
  timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: StatScope<ClusterStat>,
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
