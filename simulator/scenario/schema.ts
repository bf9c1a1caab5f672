/**
 * JSON Schema (draft-07) of scenario files. The loader validates with it and
 * `scenario.schema.json` (regenerate with `node --import tsx simulator/scenario/write-schema.ts`)
 * is the same object for editors. Unions use `type: [a, b]` instead of oneOf so that a
 * mistake produces one precise error rather than one per branch.
 */
import { BANDWIDTH_PATTERN, DURATION_PATTERN, RATE_PATTERN } from "./units.ts";
import { THRIFT_PROTOCOLS, THRIFT_TRANSPORTS } from "../../proxy/protocols/thrift/wire.ts";
import { DUBBO_PROVIDERS } from "./types.ts";
import { PROTOCOL_NAMES } from "../protocols/registry.ts";

const duration = (description: string) => ({ type: "string", pattern: DURATION_PATTERN, description }) as const;

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

const metricCondition = {
  type: "object",
  required: ["name", "op", "value"],
  additionalProperties: false,
  properties: {
    sidecar: { type: "string", minLength: 1, description: "A client with a sidecar; its admin /stats is read. Exactly one of sidecar and service." },
    service: {
      type: "string",
      minLength: 1,
      description: "A service whose instances' own counts are read and summed instead: received.<method> (Redis: received.<command>), what actually arrived.",
    },
    version: { type: "string", minLength: 1, description: "With service: only the instances of this version." },
    instance: { type: "string", minLength: 1, description: "With service: only this instance, e.g. db-v1-1 (a replicated Redis service's replica)." },
    name: {
      type: "string",
      minLength: 1,
      description: 'Counter name as in /stats, e.g. "cluster.outbound|9090|v1|hello.default.svc.cluster.local.upstream_rq_total"; * matches anything and matches are summed.',
    },
    op: { enum: ["<", "<=", ">", ">=", "==", "!="] },
    value: { type: "number" },
    delta: { type: "boolean", description: "Compare the increase since the step started (default false: the absolute value)." },
  },
} as const;

const assertionProperties = {
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
      "Statistical test of how successful responses split across versions, instances or services. Fails only when the deviation is significant at `confidence` and larger than `tolerance`; shares of 0 and 1 are exact unless a tolerance is given.",
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
      tolerance: { ...share, description: "Largest acceptable absolute difference of a share (default 0.03). Without it, shares of 0 and 1 are exact: deterministic routing lets nothing stray." },
      exact: {
        type: "boolean",
        description: "true: every share exact to within one response (round robin), no statistics; false: even shares of 0 and 1 get the tolerance.",
      },
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
  connections: {
    description: "Client connection events of the traffic: a count (exactly) or {min, max} for opened, closedByPeer (the proxy or service closed it), resets.",
    type: "object",
    minProperties: 1,
    additionalProperties: false,
    properties: { opened: countRange, closedByPeer: countRange, resets: countRange },
  },
  metric: { ...metricCondition, description: "A sidecar counter read from its admin /stats at the end of the step." },
  addedLatency: {
    description:
      "How much slower this traffic is than an earlier step's (measured in the same run, so a busy machine slows both): stat here minus stat there, between min and max. E.g. a fault delay adds at least 90ms over the path without it.",
    type: "object",
    required: ["over"],
    additionalProperties: false,
    properties: {
      over: { type: "string", minLength: 1, description: "An earlier top-level step that sends traffic once: the baseline." },
      stat: { type: "string", minLength: 1, description: 'Latency statistic, as in thresholds: "p(50)" (default), "p(99)", "avg", ...' },
      min: duration("Least added latency, e.g. 90ms."),
      max: duration("Most added latency, e.g. 180ms (catches a delay applied twice)."),
    },
  },
  affinity: {
    description:
      "Consistent hashing: every request key of the traffic (traffic `keys`) was answered by one instance. With sameAs, each key also kept the instance it had in that earlier step, unless that instance is listed in except (it left).",
    oneOf: [
      { const: true },
      {
        type: "object",
        additionalProperties: false,
        properties: {
          sameAs: { type: "string", minLength: 1, description: "An earlier top-level step whose traffic sent the same keys." },
          except: { type: "array", items: { type: "string", minLength: 1 }, description: "Instances that left since then: their keys may move." },
        },
      },
    ],
  },
} as const;

const accessLogCondition = {
  type: "object",
  required: ["sidecar", "op", "value"],
  additionalProperties: false,
  description:
    'Counts a sidecar\'s access log lines (one per request the step saw) matching `where`, e.g. no request to v1 after a shift: {sidecar: caller, where: {cluster: "outbound|9090|v1|*"}, after: "shift", op: "==", value: 0}. Not inside eventually/consistently.',
  properties: {
    sidecar: { type: "string", minLength: 1, description: "A client with a sidecar." },
    where: {
      type: "object",
      description:
        "Line field → value every counted line has; * matches any run of characters. Fields: protocol, listener, route, cluster, upstreamHost, outcome, responseKind, localReply, fault, mirrored, retries, metadata.<key>.",
      additionalProperties: { type: ["string", "number", "boolean"] },
    },
    after: { type: "string", minLength: 1, description: "Only requests decoded after this step (nested in the expectation's step) finished." },
    op: { enum: ["<", "<=", ">", ">=", "==", "!="] },
    value: { type: "integer", minimum: 0 },
  },
} as const;

const innerAssertion = (extra: Record<string, unknown>, required: string[], description: string) =>
  ({
    type: "object",
    description,
    required,
    minProperties: required.length + 1,
    additionalProperties: false,
    properties: { ...assertionProperties, of: { type: "string", minLength: 1 }, ...extra },
  }) as const;

const expectation = {
  description:
    "One or more assertions (successRate, distribution, thresholds, errors, connections, metric, affinity, addedLatency, accessLog, eventually, consistently), optionally `of: <branch id>`.",
  type: "object",
  minProperties: 1,
  additionalProperties: false,
  properties: {
    of: { type: "string", minLength: 1, description: "The id of a parallel branch whose traffic to check (default: the step's only traffic)." },
    ...assertionProperties,
    accessLog: accessLogCondition,
    eventually: innerAssertion(
      { within: duration("How long after the step's last change (apply, delete, fault) the assertion must start to hold, and keep holding to the end of the traffic.") },
      ["within"],
      "The inner assertion holds from some point no later than `within` after the step's last change until the traffic ends (metrics: polled after the step's actions).",
    ),
    consistently: innerAssertion(
      { for: duration("How long from the start of the traffic (default: all of it); metrics: polled this long after the step's actions.") },
      [],
      "The inner assertion holds in every second of the traffic (or at every poll of a metric).",
    ),
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
    keys: {
      type: "object",
      required: ["header", "count"],
      additionalProperties: false,
      description: "Request n carries the header `<header>: key-<n mod count>` (Dubbo: an attachment), and responses are recorded per key for `affinity`.",
      properties: {
        header: { type: "string", minLength: 1, description: "The header (metadata key) a consistent-hash DestinationRule hashes on (httpHeaderName)." },
        count: { type: "integer", minimum: 1, description: "How many distinct keys, used in turn." },
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

const probability = { type: "number", minimum: 0, maximum: 1, description: "Chance per chunk (latency, reset, slice) or per connection (blackhole, bandwidth); default 1." } as const;

const networkFault = {
  type: "object",
  required: ["link"],
  additionalProperties: false,
  properties: {
    link: {
      type: "object",
      required: ["to"],
      additionalProperties: false,
      description: "from: a client (default: any party); to: a service or instance (the hop into it), or `sidecar` (the client's hop to its own sidecar).",
      properties: { from: { type: "string", minLength: 1 }, to: { type: "string", minLength: 1 } },
    },
    latency: {
      type: "object",
      required: ["delay"],
      additionalProperties: false,
      properties: { delay: duration("Added to every chunk."), jitter: duration("Uniform +/- on top of delay."), probability },
    },
    reset: { type: "object", additionalProperties: false, properties: { probability } },
    blackhole: { type: "object", additionalProperties: false, properties: { probability } },
    bandwidth: {
      type: "object",
      required: ["rate"],
      additionalProperties: false,
      properties: { rate: { type: "string", pattern: BANDWIDTH_PATTERN, description: 'Bytes per second each way, e.g. "64KiB/s", "1MB/s", "500B/s".' }, probability },
    },
    slice: {
      type: "object",
      required: ["bytes"],
      additionalProperties: false,
      properties: { bytes: { type: "integer", minimum: 1, description: "Largest piece forwarded at once." }, delay: duration("Pause between pieces (default 0)."), probability },
    },
    clear: { const: true, description: "Switch every fault on this link off." },
  },
} as const;

const fault = {
  type: "object",
  description: "Exactly one of kill, restart, pause, unpause, network.",
  minProperties: 1,
  maxProperties: 2,
  additionalProperties: false,
  properties: {
    kill: { type: "string", minLength: 1, description: "Instance to stop (e.g. hello-v1-0); SIGKILL unless signal: SIGTERM." },
    signal: { enum: ["SIGKILL", "SIGTERM"] },
    restart: { type: "string", minLength: 1, description: "Instance to (re)start on the port it had, so the ServiceEntry stays valid." },
    pause: { type: "string", minLength: 1, description: "Instance to freeze: its connections stay open and nothing answers (SIGSTOP; the engine's pause in containers)." },
    unpause: { type: "string", minLength: 1, description: "Instance to let run again after pause." },
    network: networkFault,
  },
} as const;

/** One entry of Envoy's rate-limit service configuration, in its own field names. */
const rateLimitDescriptor = {
  type: "object",
  required: ["key"],
  additionalProperties: false,
  properties: {
    key: { type: "string", minLength: 1, description: "The descriptor key, as a MetaRouter's globalRateLimit descriptorKey sends it." },
    value: { type: "string", description: "Absent: every value of the key is limited, each counted on its own." },
    rate_limit: {
      type: "object",
      required: ["unit", "requests_per_unit"],
      additionalProperties: false,
      properties: { unit: { enum: ["second", "minute", "hour", "day"] }, requests_per_unit: { type: "integer", minimum: 0 } },
    },
    descriptors: { type: "array", items: { $ref: "#/definitions/rateLimitDescriptor" }, description: "Nested descriptors (the next entry of the request's descriptor)." },
  },
} as const;

const stepList = { type: "array", minItems: 1, items: { $ref: "#/definitions/step" } } as const;

const step = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string", minLength: 1, description: "Unique within the scenario; shown in reports." },
    id: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", description: "Names this branch for `of:` in expectations." },
    apply: resourceList,
    delete: resourceList,
    fault: { type: ["array", "object"], items: fault, if: { type: "object" }, then: fault, description: "One fault or a list." },
    waitFor: {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: {
        acked: { type: "boolean", description: "Every proxy ACKed the latest configuration." },
        metric: { ...metricCondition, description: "A sidecar counter reached a value." },
        fixture: { type: ["string", "array"], items: { type: "string" }, description: "Instance(s) accepting connections again, e.g. after restart." },
        timeout: duration("Default 10s."),
      },
    },
    sleep: duration("Pause, e.g. 2s."),
    traffic,
    parallel: { ...stepList, description: "Steps run at the same time (give a branch an id to check its traffic with of:)." },
    sequence: { ...stepList, description: "Steps run one after the other." },
    repeat: {
      type: "object",
      required: ["times"],
      additionalProperties: false,
      properties: {
        times: { type: "integer", minimum: 1, description: "Runs the step's actions this many times, with {{ i }} = 1..times." },
        every: duration("Start-to-start interval (default: back to back)."),
      },
    },
    expect: { type: "array", items: expectation, description: "Checked against this step's traffic (and sidecar metrics)." },
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
              protocol: { enum: [...PROTOCOL_NAMES] },
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
              transport: { enum: [...THRIFT_TRANSPORTS], description: "Thrift transport (default framed)." },
              protocolVariant: { enum: [...THRIFT_PROTOCOLS], description: "Thrift protocol (default binary)." },
              redis: {
                type: "object",
                additionalProperties: false,
                description: "Redis services: single instance, primary + replica, or a 3-master Redis Cluster (default single).",
                properties: {
                  mode: { enum: ["single", "replicated", "cluster"] },
                  password: { type: "string", description: "requirepass of the servers (the proxy supplies it via a RedisDestination)." },
                },
              },
              kafka: {
                type: "object",
                additionalProperties: false,
                description: "Kafka services: how many Apache Kafka brokers (KRaft) play the service (default 1). Broker n is reached on port + n - 1, one sidecar listener per broker.",
                properties: {
                  brokers: { enum: [1, 3] },
                },
              },
              dubbo: {
                type: "object",
                additionalProperties: false,
                description: "Dubbo services: which provider plays each instance: meshsim's TypeScript provider (default) or the Java reference provider (Apache Dubbo 3.2, fixtures/dubbo/java).",
                properties: {
                  provider: { enum: [...DUBBO_PROVIDERS] },
                },
              },
            },
          },
        },
        dataPlane: {
          enum: ["meshsim", "envoy"],
          description: "The sidecar every client gets unless it names its own: meshsim's proxy (default) or real Envoy with its native filters. `meshsim run --data-plane` overrides it.",
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
              protocol: { enum: [...PROTOCOL_NAMES] },
              sidecar: { type: "boolean", description: "Send through a sidecar proxy (default true)." },
              dataPlane: { enum: ["meshsim", "envoy"], description: "This client's sidecar: meshsim's proxy or real Envoy (default: topology.dataPlane)." },
            },
          },
        },
        backend: { enum: ["processes", "containers"], description: "What runs the topology (default processes); --backend and MESHSIM_BACKEND override it." },
        rateLimitService: {
          type: "object",
          required: ["domain", "descriptors"],
          additionalProperties: false,
          description:
            "Envoy's reference rate-limit service (built by meshsim doctor --fix), for MetaRouter globalRateLimit: reached as the cluster outbound|<port>||<name>.<namespace>.svc.cluster.local. Process backend only.",
          properties: {
            name: { type: "string", pattern: dnsLabel, description: 'Default "ratelimit".' },
            namespace: { type: "string", pattern: dnsLabel, description: 'Default "default".' },
            port: { type: "integer", minimum: 1, maximum: 65535, description: "The port MetaRouters name in the cluster (default 8081)." },
            domain: { type: "string", minLength: 1, description: "The domain MetaRouters send (globalRateLimit.domain)." },
            descriptors: { type: "array", minItems: 1, items: { $ref: "#/definitions/rateLimitDescriptor" } },
          },
        },
      },
    },
    vars: {
      type: "object",
      description: "Template variables: {{ name }} in any value or file: name; --var name=value overrides.",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      additionalProperties: { type: ["string", "number", "boolean"] },
    },
    resources: {
      type: "array",
      items: { $ref: "#/definitions/resource" },
      description: "Applied before the first step.",
    },
    steps: { type: "array", minItems: 1, items: { $ref: "#/definitions/step" } },
  },
  definitions: { resource: resourceItem, step, rateLimitDescriptor },
} as const;

/** Human wording for the schema's patterns, keyed by the pattern itself. */
export const PATTERN_HINTS: Record<string, string> = {
  [DURATION_PATTERN]: 'a duration like "10s", "500ms" or "2m"',
  [RATE_PATTERN]: 'a rate like "500/s" or "30000/m" (or a number per second)',
  [BANDWIDTH_PATTERN]: 'a bandwidth like "64KiB/s", "1MB/s" or "500B/s"',
  "^[A-Za-z_][A-Za-z0-9_]*$": "letters, digits and '_' (a variable name)",
  [dnsLabel]: "lowercase letters, digits and '-' (a DNS label)",
  "^[A-Za-z0-9][A-Za-z0-9._-]*$": "letters, digits, '.', '_' and '-'",
};
