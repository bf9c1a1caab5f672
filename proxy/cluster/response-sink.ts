import type { Codec, LocalError, Message } from "../codec/codec.ts";

/** Why an upstream request failed, for retry policies and outlier detection. */
export type UpstreamFailureCause = "connect-failure" | "reset" | "protocol-error";

/** The downstream side of an in-flight upstream request: where its response or failure goes. */
export interface ResponseSink {
  /** The upstream's response, still carrying the upstream request id; `codec` can encode it. */
  onUpstreamResponse(response: Message, codec: Codec): void;
  /** The request will get no response from this upstream. */
  onUpstreamFailure(error: LocalError, cause: UpstreamFailureCause): void;
}
