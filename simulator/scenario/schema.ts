/**
 * JSON Schema (draft-07) of scenario files. The loader validates with it and
 * `scenario.schema.json` (regenerate with `node --import tsx simulator/scenario/write-schema.ts`)
 * is the same object for editors. Unions use `type: [a, b]` instead of oneOf so that a
 * mistake produces one precise error rather than one per branch.
 */
import { DURATION_PATTERN, RATE_PATTERN } from "./units.ts";

const duration = (description: string) =>
  ({ type: "string", pattern: DURATION_PATTERN, description }) as const;

const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const resourceItem = {
  description: "An inline Kubernetes-style object, or {file: path} relative to this scenario (the file may hold several YAML documents).",
  type: "object",
  if: { type: "object", required: ["file"], properties: { file: true } },
  then: {
    properties: { file: { type: "string", minLength: 1, description: "Path relative to the scenario file." } },
    additionalProperties: false,
  },
  else: {
    required: ["apiVersion", "kind", "metadata"],
    properties: {
      apiVersion: { type: "string", minLength: 1 },
      kind: { type: "string", minLength: 1 },
      metadata: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", minLength: 1 }, namespace: { type: "string", minLength: 1 } },
      },
    },
  },
} as const;

const resourceList = {
  description: "One resource or a list; each inline or {file: path}.",
  type: ["array", "object"],
  items: { $ref: "#/definitions/resource" },
  if: { type: "object" },
  then: { $ref: "#/definitions/resource" },
} as const;

const share = { type: "number", minimum: 0, maximum: 1 } as const;

const countRange = {
  type: ["integer", "object"],
  minimum: 0,
  properties: { min: { type: "integer", minimum: 0 }, max: { type: "integer", minimum: 0 } },
  additionalProperties: false,
  minProperties: 1,
} as const;

const expectation = {
  description: "Exactly one of successRate, distribution, thresholds, errors.",
  type: "object",
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
  properties: {
    successRate: {
      description: "Minimum share of successful requests: 1.0, or {min: 0.99}.",
      type: ["number", "object"],
      minimum: 0,
      maximum: 1,
      required: ["min"],
      properties: { min: share },
      additionalProperties: false,
    },
    distribution: {
      description:
        "Statistical test of how successful responses split across versions, instances or services. Fails only when the deviation is significant at `confidence` and larger than `tolerance`.",
      type: "object",
      required: ["by", "expected"],
      additionalProperties: false,
      properties: {
        by: { enum: ["version", "instance", "service"], description: "Identity field of the replying fixture." },
        expected: {
          type: "object",
          description: "Expected share per category, summing to 1, e.g. {v1: 0.2, v2: 0.8}.",
          minProperties: 1,
          additionalProperties: share,
        },
        tolerance: { ...share, description: "Largest acceptable absolute difference of a share (default 0.03)." },
        confidence: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1, description: "Confidence of the test (default 0.999)." },
      },
    },
    thresholds: {
      description: 'k6-style thresholds: "p(99) < 20ms", "avg < 5ms", "max <= 1s", "rate < 0.01" (error rate).',
      type: "array",
      minItems: 1,
      items: { type: "string", minLength: 1 },
    },
    errors: {
      description: "Failed requests by kind, or `total`: a count (exactly) or {min, max}. A kind also matches its sub-kinds (`TApplicationException` matches `TApplicationException:no_route`).",
      type: "object",
      minProperties: 1,
      additionalProperties: countRange,
    },
  },
} as const;

const traffic = {
  type: "object",
  required: ["from", "to", "executor"],
  additionalProperties: false,
  properties: {
    from: { type: "string", minLength: 1, description: "A client from topology.clients." },
    to: { type: "string", minLength: 1, description: "A service from topology.services." },
    call: {
      type: "object",
      required: ["method"],
      additionalProperties: false,
      properties: {
        method: { type: "string", minLength: 1 },
        args: { type: "array" },
        headers: { type: "object", additionalProperties: { type: "string" }, description: "Protocol headers / attachments." },
      },
    },
    executor: {
      type: "object",
      required: ["type"],
      additionalProperties: false,
      properties: {
        type: {
          enum: ["constant-arrival-rate", "constant-concurrency"],
          description: "constant-arrival-rate: open loop at `rate`; constant-concurrency: `concurrency` requests in flight.",
        },
        rate: {
          type: ["string", "number"],
          pattern: RATE_PATTERN,
          exclusiveMinimum: 0,
          description: 'Requests per time unit: "500/s", "30000/m", or a number per second.',
        },
        count: { type: "integer", minimum: 1, description: "Stop after this many requests." },
        duration: duration("Stop after this long."),
        concurrency: { type: "integer", minimum: 1, description: "Requests in flight (constant-concurrency)." },
      },
    },
    connections: {
      type: "object",
      additionalProperties: false,
      properties: {
        mode: { enum: ["per-request", "pooled", "long-lived"], description: "Default pooled." },
        size: { type: "integer", minimum: 1, description: "Connections (default 4)." },
      },
    },
    timeout: duration("Per-request timeout (default 5s)."),
  },
} as const;

const step = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1, description: "Unique within the scenario; shown in reports." },
    apply: resourceList,
    delete: resourceList,
    waitFor: {
      type: "object",
      additionalProperties: false,
      properties: {
        acked: { type: "boolean", description: "Every proxy ACKed the latest configuration." },
        timeout: duration("Default 10s."),
      },
    },
    sleep: duration("Pause, e.g. 2s."),
    traffic,
    expect: { type: "array", items: expectation, description: "Checked against this step's traffic." },
  },
} as const;

export const SCENARIO_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://meshsim.dev/schemas/scenario.v1alpha1.json",
  title: "meshsim scenario",
  type: "object",
  required: ["apiVersion", "kind", "metadata", "topology", "steps"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "meshsim.dev/v1alpha1" },
    kind: { const: "Scenario" },
    metadata: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", description: "Used in report names." },
        tags: { type: "array", items: { type: "string" } },
        description: { type: "string" },
      },
    },
    topology: {
      type: "object",
      required: ["services"],
      additionalProperties: false,
      properties: {
        services: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            required: ["name", "protocol", "port"],
            additionalProperties: false,
            properties: {
              name: { type: "string", pattern: dnsLabel, description: "Host becomes <name>.<namespace>.svc.cluster.local." },
              namespace: { type: "string", pattern: dnsLabel, description: 'Default "default".' },
              protocol: { enum: ["thrift", "dubbo", "redis", "kafka"] },
              port: { type: "integer", minimum: 1, maximum: 65535 },
              versions: {
                type: "object",
                description: "Version label to {replicas}; default {v1: {replicas: 1}}.",
                minProperties: 1,
                propertyNames: { pattern: dnsLabel },
                additionalProperties: {
                  type: "object",
                  additionalProperties: false,
                  properties: { replicas: { type: "integer", minimum: 0 } },
                },
              },
              transport: { enum: ["framed", "unframed", "header"], description: "Thrift transport (default framed)." },
              protocolVariant: { enum: ["binary", "compact"], description: "Thrift protocol (default binary)." },
            },
          },
        },
        clients: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "protocol"],
            additionalProperties: false,
            properties: {
              name: { type: "string", pattern: dnsLabel },
              namespace: { type: "string", pattern: dnsLabel },
              protocol: { enum: ["thrift", "dubbo", "redis", "kafka"] },
              sidecar: { type: "boolean", description: "Send through a sidecar proxy (default true)." },
            },
          },
        },
      },
    },
    resources: {
      type: "array",
      items: { $ref: "#/definitions/resource" },
      description: "Applied before the first step.",
    },
    steps: { type: "array", minItems: 1, items: step },
  },
  definitions: { resource: resourceItem },
} as const;

/** Human wording for the schema's patterns, keyed by the pattern itself. */
export const PATTERN_HINTS: Record<string, string> = {
  [DURATION_PATTERN]: 'a duration like "10s", "500ms" or "2m"',
  [RATE_PATTERN]: 'a rate like "500/s" or "30000/m" (or a number per second)',
  [dnsLabel]: "lowercase letters, digits and '-' (a DNS label)",
  "^[A-Za-z0-9][A-Za-z0-9._-]*$": "letters, digits, '.', '_' and '-'",
};
