import type { RequestContext, RequestFilter } from "../filters/filter.ts";

/** A request the router can forward: the connection manager's ActiveRequest. */
export interface RoutableRequest extends RequestContext {
  /** Sends the request upstream on its route (cluster, retries, mirror, timeouts). */
  forward(): void;
}

/** The last filter: hands the request to the upstream side. */
export const routerFilter: RequestFilter<RoutableRequest> = {
  name: "router",
  onRequest(request) {
    request.forward();
    return "stop";
  },
};
