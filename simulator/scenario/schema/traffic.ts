/** A step's traffic: who sends what, how fast, over which connections. */
import { Type } from "@sinclair/typebox";
import { RATE_PATTERN } from "../units.ts";
import { anyList, duration, eitherType, mapOf, oneOfValues, text } from "./builders.ts";

export const traffic = Type.Object(
  {
    from: text({ description: "A client from topology.clients." }),
    to: text({ description: "A service from topology.services." }),
    call: Type.Optional(
      Type.Object(
        {
          method: text(),
          args: Type.Optional(anyList()),
          headers: Type.Optional(mapOf(Type.String(), { description: "Protocol headers / attachments." })),
        },
        { additionalProperties: false },
      ),
    ),
    keys: Type.Optional(
      Type.Object(
        {
          header: text({ description: "The header (metadata key) a consistent-hash DestinationRule hashes on (httpHeaderName)." }),
          count: Type.Integer({ minimum: 1, description: "How many distinct keys, used in turn." }),
        },
        {
          additionalProperties: false,
          description: "Request n carries the header `<header>: key-<n mod count>` (Dubbo: an attachment), and responses are recorded per key for `affinity`.",
        },
      ),
    ),
    executor: Type.Object(
      {
        type: oneOfValues(["constant-arrival-rate", "constant-concurrency"], {
          description: "constant-arrival-rate: open loop at `rate`; constant-concurrency: `concurrency` requests in flight.",
        }),
        rate: Type.Optional(
          eitherType([Type.String({ pattern: RATE_PATTERN }), Type.Number({ exclusiveMinimum: 0 })], {
            description: 'Requests per time unit: "500/s", "30000/m", or a number per second.',
          }),
        ),
        count: Type.Optional(Type.Integer({ minimum: 1, description: "Stop after this many requests." })),
        duration: Type.Optional(duration("Stop after this long.")),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, description: "Requests in flight (constant-concurrency)." })),
      },
      { additionalProperties: false },
    ),
    connections: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(oneOfValues(["per-request", "pooled", "long-lived"], { description: "Default pooled." })),
          size: Type.Optional(Type.Integer({ minimum: 1, description: "Connections (default 4)." })),
        },
        { additionalProperties: false },
      ),
    ),
    timeout: Type.Optional(duration("Per-request timeout (default 5s).")),
  },
  { additionalProperties: false },
);
