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

/**
 * One proxy's Redis listeners: the state each listener's connections share (routes, upstream
 * pools, stats), made on its first connection and closed with the proxy.
 */
export class RedisListeners {
  private readonly states = new Map<ListenerContext, RedisListenerState>();

  constructor(private readonly stats: StatsStore) {}

  accept(socket: Socket, context: ListenerContext): void {
    let state = this.states.get(context);
    if (state === undefined) {
      state = new RedisListenerState(context, this.stats);
      this.states.set(context, state);
    }
    new RedisDownstream(socket, state);
  }

  /** Closes every upstream connection the listeners opened. */
  close(): void {
    for (const s of this.states.values()) s.close();
    this.states.clear();
  }
}
