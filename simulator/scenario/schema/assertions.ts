/** What an expectation can assert about a step's traffic, sidecars and access logs. */
import { KindGuard, type TProperties, Type } from "@sinclair/typebox";
import { constant, duration, eitherType, exactlyOne, mapOf, oneOfValues, text } from "./builders.ts";

const shareRange = { minimum: 0, maximum: 1 } as const;
const share = Type.Number(shareRange);

const countRange = eitherType([
  Type.Integer({ minimum: 0 }),
  Type.Object({ min: Type.Optional(Type.Integer({ minimum: 0 })), max: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false, minProperties: 1 }),
]);

const comparison = oneOfValues(["<", "<=", ">", ">=", "==", "!="]);

const metricConditionProperties = {
  sidecar: Type.Optional(text({ description: "A client with a sidecar; its admin /stats is read. Exactly one of sidecar and service." })),
  service: Type.Optional(text({ description: "A service whose instances' own counts are read and summed instead: received.<method> (Redis: received.<command>), what actually arrived." })),
  version: Type.Optional(text({ description: "With service: only the instances of this version." })),
  instance: Type.Optional(text({ description: "With service: only this instance, e.g. db-v1-1 (a replicated Redis service's replica)." })),
  name: text({
    description: 'Counter name as in /stats, e.g. "cluster.outbound|9090|v1|hello.default.svc.cluster.local.upstream_rq_total"; * matches anything and matches are summed.',
  }),
  op: comparison,
  value: Type.Number(),
  delta: Type.Optional(Type.Boolean({ description: "Compare the increase since the step started (default false: the absolute value)." })),
};

/** A counter compared with a value: in an expectation, or what waitFor waits for. */
export const metricCondition = (description: string) => Type.Object(metricConditionProperties, { additionalProperties: false, description });

const assertionProperties = {
  successRate: Type.Optional(eitherType([share, Type.Object({ min: share }, { additionalProperties: false })], { description: "Minimum share of successful requests: 1.0, or {min: 0.99}." })),
  distribution: Type.Optional(
    Type.Object(
      {
        by: oneOfValues(["version", "instance", "service"], { description: "Identity field of the replying fixture." }),
        expected: mapOf(share, { description: "Expected share per category, summing to 1, e.g. {v1: 0.2, v2: 0.8}.", minProperties: 1 }),
        tolerance: Type.Optional(
          Type.Number({
            ...shareRange,
            description: "Largest acceptable absolute difference of a share (default 0.03). Without it, shares of 0 and 1 are exact: deterministic routing lets nothing stray.",
          }),
        ),
        exact: Type.Optional(Type.Boolean({ description: "true: every share exact to within one response (round robin), no statistics; false: even shares of 0 and 1 get the tolerance." })),
        confidence: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: "Confidence of the test (default 0.999)." })),
      },
      {
        description:
          "Statistical test of how successful responses split across versions, instances or services. Fails only when the deviation is significant at `confidence` and larger than `tolerance`; shares of 0 and 1 are exact unless a tolerance is given.",
        additionalProperties: false,
      },
    ),
  ),
  thresholds: Type.Optional(Type.Array(text(), { description: 'k6-style thresholds: "p(99) < 20ms", "avg < 5ms", "max <= 1s", "rate < 0.01" (error rate).', minItems: 1 })),
  errors: Type.Optional(
    mapOf(countRange, {
      description: "Failed requests by kind, or `total`: a count (exactly) or {min, max}. A kind also matches its sub-kinds (`TApplicationException` matches `TApplicationException:no_route`).",
      minProperties: 1,
    }),
  ),
  connections: Type.Optional(
    Type.Object(
      { opened: Type.Optional(countRange), closedByPeer: Type.Optional(countRange), resets: Type.Optional(countRange) },
      {
        description: "Client connection events of the traffic: a count (exactly) or {min, max} for opened, closedByPeer (the proxy or service closed it), resets.",
        minProperties: 1,
        additionalProperties: false,
      },
    ),
  ),
  metric: Type.Optional(metricCondition("A sidecar counter read from its admin /stats at the end of the step.")),
  addedLatency: Type.Optional(
    Type.Object(
      {
        over: text({ description: "An earlier top-level step that sends traffic once: the baseline." }),
        stat: Type.Optional(text({ description: 'Latency statistic, as in thresholds: "p(50)" (default), "p(99)", "avg", ...' })),
        min: Type.Optional(duration("Least added latency, e.g. 90ms.")),
        max: Type.Optional(duration("Most added latency, e.g. 180ms (catches a delay applied twice).")),
      },
      {
        description:
          "How much slower this traffic is than an earlier step's (measured in the same run, so a busy machine slows both): stat here minus stat there, between min and max. E.g. a fault delay adds at least 90ms over the path without it.",
        additionalProperties: false,
      },
    ),
  ),
  affinity: Type.Optional(
    exactlyOne(
      [
        constant(true),
        Type.Object(
          {
            sameAs: Type.Optional(text({ description: "An earlier top-level step whose traffic sent the same keys." })),
            except: Type.Optional(Type.Array(text(), { description: "Instances that left since then: their keys may move." })),
          },
          { additionalProperties: false },
        ),
      ],
      {
        description:
          "Consistent hashing: every request key of the traffic (traffic `keys`) was answered by one instance. With sameAs, each key also kept the instance it had in that earlier step, unless that instance is listed in except (it left).",
      },
    ),
  ),
};

const accessLogCondition = Type.Object(
  {
    sidecar: text({ description: "A client with a sidecar." }),
    where: Type.Optional(
      mapOf(eitherType([Type.String(), Type.Number(), Type.Boolean()]), {
        description:
          "Line field → value every counted line has; * matches any run of characters. Fields: protocol, listener, route, cluster, upstreamHost, outcome, responseKind, localReply, fault, mirrored, retries, metadata.<key>.",
      }),
    ),
    after: Type.Optional(text({ description: "Only requests decoded after this step (nested in the expectation's step) finished." })),
    op: comparison,
    value: Type.Integer({ minimum: 0 }),
  },
  {
    additionalProperties: false,
    description:
      'Counts a sidecar\'s access log lines (one per request the step saw) matching `where`, e.g. no request to v1 after a shift: {sidecar: caller, where: {cluster: "outbound|9090|v1|*"}, after: "shift", op: "==", value: 0}. Not inside eventually/consistently.',
  },
);

/** eventually/consistently: one assertion plus the wrapper's own fields (the normalizer checks it is one). */
function innerAssertion<E extends TProperties>(extra: E, description: string) {
  const required = Object.values(extra).filter((s) => !KindGuard.IsOptional(s)).length;
  return Type.Object({ ...assertionProperties, of: Type.Optional(text()), ...extra }, { description, minProperties: required + 1, additionalProperties: false });
}

export const expectation = Type.Object(
  {
    of: Type.Optional(text({ description: "The id of a parallel branch whose traffic to check (default: the step's only traffic)." })),
    ...assertionProperties,
    accessLog: Type.Optional(accessLogCondition),
    eventually: Type.Optional(
      innerAssertion(
        {
          within: duration("How long after the step's last change (apply, delete, fault) the assertion must start to hold, and keep holding to the end of the traffic."),
        },
        "The inner assertion holds from some point no later than `within` after the step's last change until the traffic ends (metrics: polled after the step's actions).",
      ),
    ),
    consistently: Type.Optional(
      innerAssertion(
        { for: Type.Optional(duration("How long from the start of the traffic (default: all of it); metrics: polled this long after the step's actions.")) },
        "The inner assertion holds in every second of the traffic (or at every poll of a metric).",
      ),
    ),
  },
  {
    description:
      "One or more assertions (successRate, distribution, thresholds, errors, connections, metric, affinity, addedLatency, accessLog, eventually, consistently), optionally `of: <branch id>`.",
    minProperties: 1,
    additionalProperties: false,
  },
);
