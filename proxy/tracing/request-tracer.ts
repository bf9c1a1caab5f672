/**
 * Spans of sampled requests, made and exported with the OpenTelemetry JS SDK. A request carrying
 * a W3C `traceparent` (a THeader info header, a Dubbo attachment: both are routing metadata)
 * continues that trace, sampled as the parent says; one without starts a trace for its
 * listener's sampling share. A sampled request's span is the parent of what the upstream sees:
 * the proxy writes a new `traceparent` into the request through the codec's header mutation.
 * The SDK is loaded only when a listener asks for tracing, so unused tracing costs nothing.
 */
import type { Span, Tracer } from "@opentelemetry/api";
import type { HeaderMutation } from "../config/types.ts";
import type { Metadata } from "../codec/codec.ts";
import type { ListenerTracing, SpanExport } from "./tracing-config.ts";

export const TRACEPARENT = "traceparent";
const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** What the request path needs: start a span (or not) and end it with what happened. */
export interface RequestSpan {
  /** Adds the attributes and status and ends the span at `endMs` (epoch ms). */
  end(attributes: Record<string, string | number | boolean>, error: boolean, endMs: number): void;
}

type Sdk = {
  api: typeof import("@opentelemetry/api");
  tracer: Tracer;
  shutdown(): Promise<void>;
};

export class RequestTracer {
  private sdk: Sdk | undefined;
  private loading: Promise<Sdk> | undefined;

  constructor(
    private readonly exportTo: SpanExport,
    private readonly defaultServiceName: string,
  ) {}

  /** Loads the SDK (once); called before a listener with tracing takes requests. */
  async ready(): Promise<void> {
    this.sdk ??= await (this.loading ??= loadSdk(this.exportTo, this.exportTo.serviceName ?? this.defaultServiceName));
  }

  /**
   * A span for this request if it is sampled, with its `traceparent` added to `mutation`;
   * undefined (nothing done) otherwise.
   */
  start(tracing: ListenerTracing, name: string, metadata: Metadata, startMs: number, mutation: HeaderMutation[]): RequestSpan | undefined {
    const sdk = this.sdk;
    if (sdk === undefined) return undefined;
    const incoming = TRACEPARENT_FORMAT.exec(metadata.get(TRACEPARENT) ?? "");
    if (incoming !== null ? (Number.parseInt(incoming[3]!, 16) & 1) === 0 : Math.random() * 100 >= tracing.randomSamplingPercent) return undefined;
    const { api } = sdk;
    const parent = incoming !== null ? api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: incoming[1]!, spanId: incoming[2]!, traceFlags: 1, isRemote: true }) : api.ROOT_CONTEXT;
    const span: Span = sdk.tracer.startSpan(name, { kind: api.SpanKind.CLIENT, startTime: startMs }, parent);
    const ids = span.spanContext();
    upsert(mutation, TRACEPARENT, `00-${ids.traceId}-${ids.spanId}-01`);
    return {
      end(attributes, error, endMs) {
        span.setAttributes(attributes);
        if (error) span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end(endMs);
      },
    };
  }

  /** Exports what is still buffered. */
  async close(): Promise<void> {
    await this.sdk?.shutdown();
  }
}

function upsert(mutation: HeaderMutation[], key: string, value: string): void {
  const i = mutation.findIndex((m) => m.key === key);
  if (i >= 0) mutation[i] = { key, value };
  else mutation.push({ key, value });
}

async function loadSdk(exportTo: SpanExport, serviceName: string): Promise<Sdk> {
  const api = await import("@opentelemetry/api");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  const exporters = [];
  if (exportTo.otlpFile !== undefined) exporters.push(await (await import("./otlp-file-exporter.ts")).createOtlpFileExporter(exportTo.otlpFile));
  if (exportTo.otlpHttpEndpoint !== undefined) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    exporters.push(new OTLPTraceExporter({ url: exportTo.otlpHttpEndpoint }));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: exporters.map((e) => new BatchSpanProcessor(e, { scheduledDelayMillis: 200 })),
  });
  return { api, tracer: provider.getTracer("meshsim-proxy"), shutdown: () => provider.shutdown() };
}
