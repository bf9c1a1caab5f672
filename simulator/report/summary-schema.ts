/**
 * JSON Schema (draft-07) of summary.json, the single record of a run that every other report is
 * rendered from. `summary.schema.json` beside this file is the same object (regenerate with
 * `node --import tsx simulator/report/summary-schema.ts`); tests validate real summaries with it.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";

const counts = { type: "object", additionalProperties: { type: "integer", minimum: 0 } } as const;
const ms = { type: "number", minimum: 0 } as const;

const latency = {
  type: "object",
  description: "Milliseconds, from an HdrHistogram with 3 significant digits.",
  required: ["count", "minMs", "meanMs", "p50Ms", "p90Ms", "p95Ms", "p99Ms", "p999Ms", "maxMs"],
  additionalProperties: false,
  properties: { count: { type: "integer", minimum: 0 }, minMs: ms, meanMs: ms, p50Ms: ms, p90Ms: ms, p95Ms: ms, p99Ms: ms, p999Ms: ms, maxMs: ms },
} as const;

const second = {
  type: "object",
  description: "One second of traffic, by intended send time.",
  required: ["second", "requests", "errors", "byVersion", "p99Ms"],
  additionalProperties: false,
  properties: {
    second: { type: "integer", minimum: 0, description: "Seconds since the traffic's startedAt." },
    requests: { type: "integer", minimum: 0 },
    errors: { type: "integer", minimum: 0 },
    errorsByKind: counts,
    byVersion: counts,
    byInstance: counts,
    byService: counts,
    p50Ms: ms,
    p99Ms: ms,
    maxMs: ms,
    opened: { type: "integer", minimum: 0 },
    closedByPeer: { type: "integer", minimum: 0 },
    resets: { type: "integer", minimum: 0 },
  },
} as const;

const traffic = {
  type: "object",
  description: "What one traffic action observed.",
  required: ["step", "from", "to", "protocol", "requests", "successes", "errors", "byIdentity", "latency", "latencyRaw", "connections", "startedAt", "durationMs", "rate", "timeline"],
  additionalProperties: false,
  properties: {
    step: { type: "string", description: "The (nested) step that sent it." },
    id: { type: "string", description: "The id of the parallel branch it ran in." },
    from: { type: "string" },
    to: { type: "string" },
    protocol: { type: "string" },
    requests: { type: "integer", minimum: 0 },
    successes: { type: "integer", minimum: 0 },
    errors: { ...counts, description: 'Failed requests by kind, e.g. {"timeout": 2, "no_route": 5}.' },
    byIdentity: {
      type: "object",
      required: ["service", "version", "instance"],
      additionalProperties: false,
      properties: { service: counts, version: counts, instance: counts },
      description: "Successful responses by the identity the fixture that answered reported.",
    },
    byKey: {
      type: "object",
      description: "Traffic with keys: successful responses per request key, by the instance that answered.",
      additionalProperties: counts,
    },
    latency: { ...latency, description: "Corrected: from the intended send time (open loop), no coordinated omission." },
    latencyRaw: { ...latency, description: "From the actual send time." },
    connections: {
      type: "object",
      required: ["opened", "closedByPeer", "resets"],
      additionalProperties: false,
      properties: { opened: { type: "integer", minimum: 0 }, closedByPeer: { type: "integer", minimum: 0 }, resets: { type: "integer", minimum: 0 } },
    },
    startedAt: { type: "string", format: "date-time", description: "When the first request was due: the timeline's origin." },
    durationMs: ms,
    rate: { type: "number", minimum: 0, description: "Achieved requests per second." },
    timeline: { type: "array", items: second },
    aborted: {
      type: "object",
      description: "The traffic stopped early: its expectations could no longer hold (fail fast).",
      required: ["reason", "sent", "abandoned"],
      additionalProperties: false,
      properties: {
        reason: { type: "string" },
        sent: { type: "integer", minimum: 0, description: "Requests sent before it stopped." },
        abandoned: { type: "integer", minimum: 0, description: "Of those, still in flight and not recorded." },
      },
    },
  },
} as const;

const assertion = {
  type: "object",
  required: ["name", "passed", "message", "details"],
  additionalProperties: false,
  properties: {
    name: { type: "string", description: 'e.g. "distribution by version"; nested steps add " (<step>)".' },
    passed: { type: "boolean" },
    message: { type: "string", description: "One line: what was seen, what was expected, pass or FAIL." },
    details: { type: "object", description: "The numbers behind the message; shape depends on the assertion." },
    notApplicable: { type: "string", description: "Why the expectation was not checked on this data plane (e.g. a counter only meshsim keeps, on an Envoy sidecar)." },
  },
} as const;

const event = {
  type: "object",
  required: ["step", "action", "detail", "atMs", "durationMs"],
  additionalProperties: false,
  properties: {
    step: { type: "string" },
    action: { enum: ["apply", "delete", "fault", "waitFor", "sleep", "traffic"] },
    detail: { type: "string" },
    atMs: { type: "number", description: "Start, in ms since the run's startedAt." },
    durationMs: ms,
    error: { type: "string" },
  },
} as const;

export const SUMMARY_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://meshsim.dev/schemas/summary.v1.json",
  title: "meshsim run summary (summary.json)",
  type: "object",
  required: ["tool", "scenario", "startedAt", "durationMs", "passed", "steps", "environment"],
  additionalProperties: false,
  properties: {
    tool: { type: "object", required: ["name", "version"], additionalProperties: false, properties: { name: { const: "meshsim" }, version: { type: "string" } } },
    scenario: {
      type: "object",
      required: ["name", "file", "tags"],
      additionalProperties: false,
      properties: {
        name: { type: "string" },
        file: { type: "string" },
        tags: { type: "array", items: { type: "string" } },
        description: { type: "string" },
        vars: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] }, description: "Template variables after --var overrides." },
        text: { type: "string", description: "The scenario file as it was run." },
      },
    },
    startedAt: { type: "string", format: "date-time" },
    durationMs: ms,
    passed: { type: "boolean", description: "Every step ran and passed, and nothing failed outside a step." },
    error: { type: "string", description: "Why the run stopped outside any step (topology could not come up, ...)." },
    dataPlane: { enum: ["meshsim", "envoy"], description: "The run's sidecar data plane (clients may name their own)." },
    unsupported: {
      type: "array",
      items: { type: "string" },
      description: "What the data plane cannot do, as file:line: Kind/name field: not supported on <data plane>: <reason>. Nothing ran.",
    },
    steps: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "actions", "durationMs", "passed", "traffic", "expectations"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          actions: { type: "array", items: { enum: ["apply", "delete", "fault", "waitFor", "sleep", "traffic", "parallel", "sequence", "repeat"] } },
          durationMs: ms,
          passed: { type: "boolean" },
          error: { type: "string", description: "The step could not complete." },
          aborted: { type: "string", description: "Its traffic stopped early: an expectation could no longer hold (after how many requests, which, why)." },
          traffic: { type: "array", items: traffic, description: "Every traffic action under the step, nested ones included." },
          expectations: { type: "array", items: assertion },
          events: { type: "array", items: event, description: "Every action under the step, in start order." },
        },
      },
    },
    notRun: { type: "array", items: { type: "string" }, description: "Steps left out because an earlier one was aborted (fail fast)." },
    logs: {
      type: "array",
      description: "Files the run kept beside its reports: each part's output and each meshsim sidecar's access log (one JSON line per request).",
      items: {
        type: "object",
        required: ["part", "kind", "file"],
        additionalProperties: false,
        properties: {
          part: { type: "string", description: "The part that wrote it: control-plane, an instance, sidecar-<client>." },
          kind: { enum: ["output", "access-log", "traces"] },
          file: { type: "string", description: "Path relative to the report folder." },
        },
      },
    },
    sampledTrace: {
      type: "object",
      description: "One sampled request's spans (the trace with the most spans), from the sidecars' OTLP trace files.",
      required: ["traceId", "spans"],
      additionalProperties: false,
      properties: {
        traceId: { type: "string" },
        spans: {
          type: "array",
          items: {
            type: "object",
            required: ["service", "name", "spanId", "startTime", "durationMs", "error", "attributes"],
            additionalProperties: false,
            properties: {
              service: { type: "string" },
              name: { type: "string" },
              spanId: { type: "string" },
              parentSpanId: { type: "string" },
              startTime: { type: "string" },
              durationMs: { type: "number", minimum: 0 },
              error: { type: "boolean" },
              attributes: { type: "object", additionalProperties: { type: "string" } },
            },
          },
        },
      },
    },
    environment: {
      type: "object",
      required: ["node", "platform"],
      additionalProperties: false,
      properties: { node: { type: "string" }, platform: { type: "string" }, backend: { type: "string" } },
    },
  },
} as const;

let validator: ValidateFunction | undefined;

/** Problems of a summary against SUMMARY_SCHEMA, one line each ("" path = the root); empty when valid. */
export function validateSummary(summary: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, formats: { "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ } }).compile(SUMMARY_SCHEMA);
  return validator(summary) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

export const SUMMARY_SCHEMA_FILE = fileURLToPath(new URL("./summary.schema.json", import.meta.url));

export function renderSummarySchemaJson(): string {
  return `${JSON.stringify(SUMMARY_SCHEMA, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SUMMARY_SCHEMA_FILE, renderSummarySchemaJson());
  process.stdout.write(`wrote ${SUMMARY_SCHEMA_FILE}\n`);
}
