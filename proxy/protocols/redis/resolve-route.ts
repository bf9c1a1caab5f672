import { errorReply } from "./resp.ts";
import type { RedisDownstream } from "./downstream.ts";
import type { CompiledRoute } from "./router.ts";
import type { RedisUpstreamCluster } from "./upstream-cluster.ts";

/** A request's route resolved to an upstream cluster, or the error reply to send instead. */
export type Resolved = { route: CompiledRoute; upstream: RedisUpstreamCluster; error?: undefined } | { error: Buffer };

/** The route and upstream cluster for the key in `b[keyStart, keyEnd)`; counts the failures. */
export function resolveRoute(d: RedisDownstream, b: Buffer, keyStart: number, keyEnd: number): Resolved {
  const route = d.router.route(b, keyStart, keyEnd);
  if (route === undefined) {
    d.countListener("local_reply_no_route");
    return { error: errorReply("ERR no upstream host") };
  }
  const upstream = d.state.upstream(route.cluster);
  if (upstream === undefined) {
    d.countListener("local_reply_no_cluster");
    return { error: errorReply(`ERR no cluster ${route.cluster}`) };
  }
  return { route, upstream };
}
