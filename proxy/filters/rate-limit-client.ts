/**
 * A unary gRPC client for `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`, the
 * API of Envoy's global rate-limit service, with the Envoy protos of the ratelimit bundle; one
 * channel (an HTTP/2 connection) per service address, reused across requests.
 */
import type protobuf from "protobufjs";
import { GrpcChannel } from "../../common/grpc/client-channel.ts";
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
  private readonly channel: GrpcChannel;
  private readonly types = rlsTypes();

  /** `address` is `host:port`; the channel connects lazily, on the first call. */
  constructor(readonly address: string) {
    this.channel = new GrpcChannel(address);
  }

  /**
   * Asks the service whether the descriptors are over their limits. Resolves "OVER_LIMIT" when
   * the service says so and "OK" for any other code (Envoy's client does the same with
   * UNKNOWN); rejects on a transport error, a gRPC status other than OK, or no answer within
   * `timeoutMs`.
   */
  async shouldRateLimit(request: RateLimitRequest, timeoutMs: number): Promise<RateLimitCode> {
    const message = { domain: request.domain, descriptors: request.descriptors, hits_addend: request.hitsAddend ?? 0 };
    const response = await this.channel.unary(METHOD, Buffer.from(this.types.request.encode(message).finish()), timeoutMs);
    const decoded = this.types.response.decode(response) as unknown as { overall_code?: number };
    return decoded.overall_code === this.types.overLimit ? "OVER_LIMIT" : "OK";
  }

  close(): void {
    this.channel.close();
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
