/**
 * The Redis-aware proxy path. A listener whose codec is "redis" hands its connections here
 * instead of to the generic DownstreamConnection: Redis routing needs keys, slots and reply
 * order, which a codec alone cannot express. Listeners, clusters, stats and xDS stay shared.
 */
import type { Socket } from "node:net";
import type { ListenerContext } from "../../core/listener-context.ts";
import type { StatsStore } from "../../stats/stats.ts";
import { RedisDownstream } from "./downstream.ts";
import { RedisListenerState } from "./listener-state.ts";

export { closeRedisUpstreams } from "./listener-state.ts";
export { REDIS_STATS, REDIS_CLUSTER_STATS } from "./stats.ts";

const states = new WeakMap<ListenerContext, RedisListenerState>();

export function handleRedisConnection(socket: Socket, context: ListenerContext, stats: StatsStore): void {
  let state = states.get(context);
  if (state === undefined) {
    state = new RedisListenerState(context, stats);
    states.set(context, state);
  }
  new RedisDownstream(socket, state);
}
