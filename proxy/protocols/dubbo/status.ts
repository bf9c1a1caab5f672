/*
 * Response status (header byte 3) and the result type that opens an OK response body
 * (org.apache.dubbo.remoting.exchange.Response and DubboCodec):
 *
 *   OK body       ::= int(result type) [value | exception] [attachments map]
 *   non-OK body   ::= string(error message)
 */
import type { LocalErrorKind } from "../../codec/codec.ts";

export const ResponseStatus = {
  OK: 20,
  CLIENT_TIMEOUT: 30,
  SERVER_TIMEOUT: 31,
  BAD_REQUEST: 40,
  BAD_RESPONSE: 50,
  SERVICE_NOT_FOUND: 60,
  SERVICE_ERROR: 70,
  SERVER_ERROR: 80,
  CLIENT_ERROR: 90,
  SERVER_THREADPOOL_EXHAUSTED_ERROR: 100,
} as const;

export const STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ResponseStatus).map(([k, v]) => [v, k]));

export const ResultType = {
  WITH_EXCEPTION: 0,
  VALUE: 1,
  NULL_VALUE: 2,
  WITH_EXCEPTION_WITH_ATTACHMENTS: 3,
  VALUE_WITH_ATTACHMENTS: 4,
  NULL_VALUE_WITH_ATTACHMENTS: 5,
} as const;

/**
 * Which status a proxy-local failure is answered with. Java consumers raise a RemotingException
 * (TimeoutException for the two timeout statuses) carrying the message; apache-dubbo-js rejects
 * with a DubboDecodeError whose message holds the body (the text after a short length prefix).
 * Kinds not listed here (added to the contract later) answer SERVICE_ERROR.
 */
export const LOCAL_ERROR_STATUS: Readonly<Partial<Record<LocalErrorKind, number>>> = {
  no_route: ResponseStatus.SERVICE_NOT_FOUND,
  no_cluster: ResponseStatus.SERVICE_NOT_FOUND,
  no_healthy_endpoint: ResponseStatus.SERVICE_NOT_FOUND,
  upstream_failure: ResponseStatus.SERVER_ERROR,
  timeout: ResponseStatus.SERVER_TIMEOUT,
  rate_limited: ResponseStatus.SERVER_THREADPOOL_EXHAUSTED_ERROR,
  overflow: ResponseStatus.SERVER_THREADPOOL_EXHAUSTED_ERROR,
  fault_abort: ResponseStatus.SERVICE_ERROR,
  unauthorized: ResponseStatus.BAD_REQUEST,
};
