import type { LocalError, Message } from "../codec/codec.ts";

/** The downstream side of an in-flight request: where its response or failure goes. */
export interface ResponseSink {
  /** The upstream's response with the downstream's own request id restored. */
  onUpstreamResponse(bytes: Buffer): void;
  /** The request could not be completed; the sink answers with a local reply. */
  onUpstreamFailure(request: Message, error: LocalError): void;
}
