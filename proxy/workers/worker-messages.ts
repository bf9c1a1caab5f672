import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "../config/types.ts";

/** What the primary asks every worker; each answers with a `WorkerReply` of the same `seq`. */
export type PrimaryMessage =
  | { type: "config"; seq: number; update: ConfigUpdate }
  /** Close the Proxy (its connections with it) and exit. */
  | { type: "shutdown" }
  | { type: "ask"; seq: number; what: "ready" | "stats" | "prometheus" | "configDump" | "listeners" | "flushAccessLogs" };

/** One state-of-the-world update, as the xDS client hands it to a ConfigSink. */
export type ConfigUpdate =
  | { kind: "listeners"; items: ListenerConfig[] }
  | { kind: "clusters"; items: ClusterConfig[] }
  | { kind: "endpoints"; items: ClusterLoadAssignment[] }
  | { kind: "routes"; items: RouteConfig[] };

export type WorkerMessage =
  /** The worker serves: its static resources are applied and its listeners bound. */
  | { type: "started"; listeners: Record<string, { host: string; port: number }> }
  /** The worker could not start (its static resources were refused); it exits. */
  | { type: "failed"; error: string }
  /** The answer to one PrimaryMessage; `error` when a config update was rejected. */
  | { type: "reply"; seq: number; value?: unknown; error?: string };
