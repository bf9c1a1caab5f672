import type { RequestContext, RequestFilter } from "./filter.ts";

/** What the router needs from the request: the connection manager's ActiveRequest provides it. */
export interface Forwardable extends RequestContext {
  forward(): void;
}

/** The last filter: hands the request to the upstream side (cluster, retries, mirror, timeout). */
export const routerFilter: RequestFilter = {
  name: "router",
  onRequest(ctx) {
    (ctx as Forwardable).forward();
    return "stop";
  },
};
