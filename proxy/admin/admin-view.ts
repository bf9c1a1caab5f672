import type { Proxy } from "../proxy.ts";

/**
 * What the admin endpoint shows: one proxy's state, or (with `--concurrency N`) the sum of its
 * workers'. Every answer may be asynchronous, since a worker's state is asked for over IPC.
 */
export interface AdminView {
  /** Whether the first configuration arrived (listeners exist). */
  ready(): Promise<boolean>;
  stats(): Promise<Record<string, number>>;
  /** Prometheus text: the stats and the labelled request metrics. */
  prometheus(): Promise<string>;
  configDump(): Promise<object>;
  listeners(): Promise<Record<string, { host: string; port: number }>>;
  /** Resolves once every access log line written so far is in its file. */
  flushAccessLogs(): Promise<void>;
}

/** The admin view of one in-process Proxy. */
export function proxyAdminView(proxy: Proxy): AdminView {
  return {
    ready: async () => proxy.listeners.dump().length > 0,
    stats: async () => proxy.stats.snapshot(),
    prometheus: async () => proxy.stats.prometheus() + proxy.requestMetrics.prometheus(),
    configDump: async () => proxy.configDump() as object,
    listeners: async () => proxy.listeners.addresses(),
    flushAccessLogs: () => proxy.flushAccessLogs(),
  };
}
