import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

/**
 * OTLP/HTTP JSON to a file: each batch is one ExportTraceServiceRequest, the body an OTLP/HTTP
 * JSON exporter would post, on a line of its own (the OpenTelemetry Collector's file exporter
 * format), so the file can be replayed to a collector or read line by line.
 */
export class OtlpFileExporter implements SpanExporter {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (body === undefined) return done({ code: ExportResultCode.FAILED, error: new Error("spans could not be serialized") });
    const line = `${Buffer.from(body).toString("utf8")}\n`;
    this.writing = this.writing
      .then(() => mkdir(dirname(this.path), { recursive: true }))
      .then(() => appendFile(this.path, line))
      .then(
        () => done({ code: ExportResultCode.SUCCESS }),
        (error: Error) => done({ code: ExportResultCode.FAILED, error }),
      );
  }

  async shutdown(): Promise<void> {
    await this.writing;
  }

  async forceFlush(): Promise<void> {
    await this.writing;
  }
}
