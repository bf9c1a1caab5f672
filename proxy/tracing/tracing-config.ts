/** Tracing settings: per listener (over xDS) and where this proxy sends its spans (bootstrap). */

/** A listener's `tracing` (Envoy's HTTP connection manager shape, as Aeraki's MetaProtocolProxy has it). */
export interface ListenerTracing {
  /** Share of requests without a sampled parent that start a trace, 0–100. */
  randomSamplingPercent: number;
}

/** Where spans go: OTLP/HTTP JSON lines appended to a file, or an OTLP/HTTP collector. */
export interface SpanExport {
  /** One ExportTraceServiceRequest (OTLP JSON) per line. */
  otlpFile?: string;
  /** e.g. http://127.0.0.1:4318/v1/traces */
  otlpHttpEndpoint?: string;
  /** service.name of the spans (default: the node's cluster). */
  serviceName?: string;
}
