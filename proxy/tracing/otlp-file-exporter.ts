import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

/**
 * OTLP/HTTP JSON to a file: each batch is one ExportTraceServiceRequest, the body an OTLP/HTTP
 * JSON exporter would post, on a line of its own (the OpenTelemetry Collector's file exporter
 * format), so the file can be replayed to a collector or read line by line. The OpenTelemetry
 * packages are imported here, when a listener first traces: a proxy bundle that imported them at
 * start would carry them in every sidecar.
 */
export async function createOtlpFileExporter(path: string): Promise<SpanExporter> {
  const { ExportResultCode } = await import("@opentelemetry/core");
  const { JsonTraceSerializer } = await import("@opentelemetry/otlp-transformer");
  let writing: Promise<void> = Promise.resolve();
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      const body = JsonTraceSerializer.serializeRequest(spans);
      if (body === undefined) return done({ code: ExportResultCode.FAILED, error: new Error("spans could not be serialized") });
      const line = `${Buffer.from(body).toString("utf8")}\n`;
      writing = writing
        .then(() => mkdir(dirname(path), { recursive: true }))
        .then(() => appendFile(path, line))
        .then(
          () => done({ code: ExportResultCode.SUCCESS }),
          (error: Error) => done({ code: ExportResultCode.FAILED, error }),
        );
    },
    async shutdown(): Promise<void> {
      await writing;
    },
    async forceFlush(): Promise<void> {
      await writing;
    },
  };
}
