/**
 * A unary gRPC client for `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`, the
 * API of Envoy's global rate-limit service. Messages are encoded with the Envoy protos the xDS
 * client already loads; one channel per service address, reused across requests.
 */
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { protoRoot } from "../../common/proto-bundles.ts";

const METHOD = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

export interface RateLimitRequest {
  domain: string;
  descriptors: ReadonlyArray<{ entries: ReadonlyArray<{ key: string; value: string }> }>;
  /** Hits to add to every descriptor; the service treats absent (0) as 1. */
  hitsAddend?: number;
}

/** The service's overall answer. */
export type RateLimitCode = "OK" | "OVER_LIMIT";

let types: { request: protobuf.Type; response: protobuf.Type; overLimit: number } | undefined;

function rlsTypes(): NonNullable<typeof types> {
  if (types) return types;
  const root = protoRoot("ratelimit");
  const response = root.lookupType("envoy.service.ratelimit.v3.RateLimitResponse");
  types = {
    request: root.lookupType("envoy.service.ratelimit.v3.RateLimitRequest"),
    response,
    overLimit: response.lookupEnum("Code").values.OVER_LIMIT!,
  };
  return types;
}

export class RateLimitClient {
  private readonly client: Client;
  private readonly types = rlsTypes();
  private readonly serialize = (req: RateLimitRequest): Buffer => {
    const msg = { domain: req.domain, descriptors: req.descriptors, hits_addend: req.hitsAddend ?? 0 };
    return Buffer.from(this.types.request.encode(msg).finish());
  };
  private readonly deserialize = (bytes: Buffer): number => {
    const decoded = this.types.response.decode(bytes) as unknown as { overall_code?: number };
    return decoded.overall_code ?? 0;
  };

  /** `address` is `host:port`; the channel connects lazily, on the first call. */
  constructor(readonly address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  /**
   * Asks the service whether the descriptors are over their limits. Resolves "OVER_LIMIT" when
   * the service says so and "OK" for any other code (Envoy's client does the same with
   * UNKNOWN); rejects on a transport error, a gRPC status other than OK, or no answer within
   * `timeoutMs`.
   */
  shouldRateLimit(request: RateLimitRequest, timeoutMs: number): Promise<RateLimitCode> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<RateLimitRequest, number>(
        METHOD,
        this.serialize,
        this.deserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, code?: number) => {
          if (err) reject(err);
          else resolve(code === this.types.overLimit ? "OVER_LIMIT" : "OK");
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * One proxy's rate-limit clients, one per service address, so filters rebuilt on every listener
 * update reuse the same channel instead of opening (and leaking) one each. Closed with the proxy.
 */
export class RateLimitClients {
  private readonly clients = new Map<string, RateLimitClient>();

  get(address: string): RateLimitClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new RateLimitClient(address);
      this.clients.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
