import type { LocalErrorKind, Message, Metadata } from "../codec/codec.ts";
import type { HeaderMutation, ListenerConfig, RouteEntry } from "../config/types.ts";

/**
 * The request filter chain, as in Envoy's network filters for meta protocols. The connection
 * manager decodes a request, selects its route, then runs the filters in order; the router is
 * always last. A filter returns "continue" to pass the request on, or "stop" when it has either
 * answered locally (through `reply`) or will resume later (through `resume`, e.g. after a delay
 * or an external rate-limit answer).
 */
export type FilterStatus = "continue" | "stop";

export interface RequestContext {
  readonly message: Message;
  readonly metadata: Metadata;
  readonly listener: ListenerConfig;
  /** The selected route, or undefined when none matched (the router then replies no_route). */
  readonly route: RouteEntry | undefined;
  /** The cluster the route picked for this request; a filter may change it. */
  cluster: string | undefined;
  /** Header additions for the request, applied by the codec when it encodes the request. */
  readonly requestMutation: HeaderMutation[];
  /** Header additions for the response. */
  readonly responseMutation: HeaderMutation[];
  /** Continue the chain after a filter returned "stop". */
  resume(): void;
  /** Answer the request locally with a protocol-correct error; the chain ends. */
  reply(kind: LocalErrorKind, text: string): void;
  /** The fault the fault filter injected into this request, for the access log. */
  fault: "abort" | "delay" | null;
  /** Whether the downstream connection is gone (a filter resuming late should check). */
  readonly downstreamClosed: boolean;
}

/** A filter of requests of type `C`: the router needs more of a request than other filters. */
export interface RequestFilter<C extends RequestContext = RequestContext> {
  readonly name: string;
  /** Called once per request, in chain order. */
  onRequest(ctx: C): FilterStatus;
}

/** Builds a listener's filters from its configuration; returns none when not configured. */
export type FilterFactory = (listener: ListenerConfig) => RequestFilter | undefined;
