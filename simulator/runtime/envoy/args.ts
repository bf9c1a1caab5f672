/** Envoy's command line for a meshsim sidecar, the same as a local process and in a container. */
export function envoyArgs(o: { bootstrap: string; concurrency: string; logLevel: string }): string[] {
  return [
    "--config-yaml",
    o.bootstrap,
    "--concurrency",
    o.concurrency,
    "--disable-hot-restart",
    "--log-level",
    o.logLevel,
    // A listener that is removed or replaced closes its connections after a second, not ten
    // minutes; route changes never drain (thrift_proxy and dubbo_proxy take routes over RDS).
    "--drain-time-s",
    "1",
  ];
}
