/**
 * One sampled request's spans for the report, read from the sidecars' OTLP/HTTP JSON trace files
 * (`logs/sidecar-<client>.traces.jsonl`): the trace with the most spans, the earliest among equals.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { TRACES_SUFFIX } from "../runtime/sidecar-access-log.ts";
import type { SampledTrace, TraceSpan } from "./summary.ts";

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const STATUS_ERROR = 2;

export async function readSampledTrace(logsDir: string): Promise<SampledTrace | undefined> {
  const files = (await readdir(logsDir).catch(() => [] as string[])).filter((f) => f.endsWith(TRACES_SUFFIX)).sort();
  const byTrace = new Map<string, TraceSpan[]>();
  for (const file of files) {
    const text = await readFile(join(logsDir, file), "utf8");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const request = JSON.parse(line) as OtlpRequest;
      for (const rs of request.resourceSpans ?? []) {
        const service = String(attributeValue(rs.resource?.attributes, "service.name") ?? file.slice(0, -TRACES_SUFFIX.length));
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) push(byTrace, s.traceId, toSpan(s, service));
      }
    }
  }
  let best: [string, TraceSpan[]] | undefined;
  for (const entry of byTrace) {
    const [, spans] = entry;
    if (best === undefined || spans.length > best[1].length || (spans.length === best[1].length && spans[0]!.startTime < best[1][0]!.startTime)) best = entry;
  }
  if (best === undefined) return undefined;
  return { traceId: best[0], spans: best[1].sort((a, b) => a.startTime.localeCompare(b.startTime)) };
}

function push(map: Map<string, TraceSpan[]>, key: string, span: TraceSpan): void {
  const list = map.get(key);
  if (list) list.push(span);
  else map.set(key, [span]);
}

function toSpan(s: OtlpSpan, service: string): TraceSpan {
  const start = BigInt(s.startTimeUnixNano);
  const end = BigInt(s.endTimeUnixNano);
  const attributes: Record<string, string> = {};
  for (const a of s.attributes ?? []) attributes[a.key] = String(Object.values(a.value)[0]);
  return {
    service,
    name: s.name,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    startTime: new Date(Number(start / 1_000_000n)).toISOString(),
    durationMs: Number(end - start) / 1e6,
    error: s.status?.code === STATUS_ERROR,
    attributes,
  };
}

function attributeValue(attributes: OtlpAttribute[] | undefined, key: string): unknown {
  const a = attributes?.find((x) => x.key === key);
  return a ? Object.values(a.value)[0] : undefined;
}
