/** The topology: services, clients, their data plane and the optional rate-limit service. */
import { type Static, type TSchema, type TUnsafe, Type } from "@sinclair/typebox";
import { THRIFT_PROTOCOLS, THRIFT_TRANSPORTS } from "../../../proxy/protocols/thrift/wire.ts";
import { PROTOCOL_NAMES } from "../../protocols/registry.ts";
import { BACKEND_NAMES } from "../../runtime/backend.ts";
import { DATA_PLANES, DUBBO_PROVIDERS } from "../types.ts";
import { definition, mapOf, oneOfValues, text } from "./builders.ts";

export const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const dnsLabel = (options: { description?: string } = {}) => Type.String({ pattern: DNS_LABEL, ...options });
const port = (options: { description?: string } = {}) => Type.Integer({ minimum: 1, maximum: 65535, ...options });

export const service = Type.Object(
  {
    name: dnsLabel({ description: "Host becomes <name>.<namespace>.svc.cluster.local." }),
    namespace: Type.Optional(dnsLabel({ description: 'Default "default".' })),
    protocol: oneOfValues(PROTOCOL_NAMES),
    port: port(),
    versions: Type.Optional(
      mapOf(Type.Object({ replicas: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }), {
        description: "Version label to {replicas}; default {v1: {replicas: 1}}.",
        minProperties: 1,
        propertyNames: { pattern: DNS_LABEL },
      }),
    ),
    transport: Type.Optional(oneOfValues(THRIFT_TRANSPORTS, { description: "Thrift transport (default framed)." })),
    protocolVariant: Type.Optional(oneOfValues(THRIFT_PROTOCOLS, { description: "Thrift protocol (default binary)." })),
    redis: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(oneOfValues(["single", "replicated", "cluster"])),
          password: Type.Optional(Type.String({ description: "requirepass of the servers (the proxy supplies it via a RedisDestination)." })),
        },
        { additionalProperties: false, description: "Redis services: single instance, primary + replica, or a 3-master Redis Cluster (default single)." },
      ),
    ),
    kafka: Type.Optional(
      Type.Object(
        { brokers: Type.Optional(oneOfValues([1, 3])) },
        {
          additionalProperties: false,
          description: "Kafka services: how many Apache Kafka brokers (KRaft) play the service (default 1). Broker n is reached on port + n - 1, one sidecar listener per broker.",
        },
      ),
    ),
    dubbo: Type.Optional(
      Type.Object(
        { provider: Type.Optional(oneOfValues(DUBBO_PROVIDERS)) },
        {
          additionalProperties: false,
          description: "Dubbo services: which provider plays each instance: meshsim's TypeScript provider (default) or the Java reference provider (Apache Dubbo 3.2, fixtures/dubbo/java).",
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const client = Type.Object(
  {
    name: dnsLabel(),
    namespace: Type.Optional(dnsLabel()),
    protocol: oneOfValues(PROTOCOL_NAMES),
    sidecar: Type.Optional(Type.Boolean({ description: "Send through a sidecar proxy (default true)." })),
    dataPlane: Type.Optional(oneOfValues(DATA_PLANES, { description: "This client's sidecar: meshsim's proxy or real Envoy (default: topology.dataPlane)." })),
  },
  { additionalProperties: false },
);

/** One entry of Envoy's rate-limit service configuration, in its own field names; nests through `definitions.rateLimitDescriptor`. */
function rateLimitDescriptorWith<C extends TSchema>(child: C) {
  return Type.Object(
    {
      key: text({ description: "The descriptor key, as a MetaRouter's globalRateLimit descriptorKey sends it." }),
      value: Type.Optional(Type.String({ description: "Absent: every value of the key is limited, each counted on its own." })),
      rate_limit: Type.Optional(Type.Object({ unit: oneOfValues(["second", "minute", "hour", "day"]), requests_per_unit: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
      descriptors: Type.Optional(Type.Array(child, { description: "Nested descriptors (the next entry of the request's descriptor)." })),
    },
    { additionalProperties: false },
  );
}

/** An interface rather than a type alias: only an interface may name itself inside its own definition. */
export interface RawRateLimitDescriptor extends Static<ReturnType<typeof rateLimitDescriptorWith<TUnsafe<RawRateLimitDescriptor>>>> {}

const rateLimitDescriptorRef = definition<RawRateLimitDescriptor>("rateLimitDescriptor");

/** `definitions.rateLimitDescriptor`. */
export const rateLimitDescriptor = rateLimitDescriptorWith(rateLimitDescriptorRef);

export const topology = Type.Object(
  {
    services: Type.Array(service, { minItems: 1 }),
    dataPlane: Type.Optional(
      oneOfValues(DATA_PLANES, {
        description: "The sidecar every client gets unless it names its own: meshsim's proxy (default) or real Envoy with its native filters. `meshsim run --data-plane` overrides it.",
      }),
    ),
    clients: Type.Optional(Type.Array(client)),
    backend: Type.Optional(oneOfValues(BACKEND_NAMES, { description: "What runs the topology (default processes); --backend and MESHSIM_BACKEND override it." })),
    rateLimitService: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(dnsLabel({ description: 'Default "ratelimit".' })),
          namespace: Type.Optional(dnsLabel({ description: 'Default "default".' })),
          port: Type.Optional(port({ description: "The port MetaRouters name in the cluster (default 8081)." })),
          domain: text({ description: "The domain MetaRouters send (globalRateLimit.domain)." }),
          descriptors: Type.Array(rateLimitDescriptorRef, { minItems: 1 }),
        },
        {
          additionalProperties: false,
          description:
            "Envoy's reference rate-limit service (built by meshsim doctor --fix), for MetaRouter globalRateLimit: reached as the cluster outbound|<port>||<name>.<namespace>.svc.cluster.local. Process backend only.",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
