import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "./types.ts";

/**
 * Where the xDS client delivers decoded configuration. Each call carries the complete set for
 * its type (state of the world). A method throws an Error to reject the update; the xDS client
 * then NACKs with the error's message and the proxy keeps its previous configuration.
 */
export interface ConfigSink {
  setListeners(listeners: ListenerConfig[]): void | Promise<void>;
  setClusters(clusters: ClusterConfig[]): void | Promise<void>;
  setEndpoints(assignments: ClusterLoadAssignment[]): void | Promise<void>;
  setRoutes(routes: RouteConfig[]): void | Promise<void>;
}
