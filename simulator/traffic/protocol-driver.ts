/**
 * What a traffic executor needs from a protocol's real client library: open a connection,
 * make a call, learn who answered. One implementation per protocol (`thrift-driver.ts` ...).
 */
export interface CallSpec {
  method: string;
  args: unknown[];
  /** Protocol headers (Dubbo attachments; Kafka's client_id). */
  headers?: Record<string, string>;
}

export interface Identity {
  service: string;
  version: string;
  instance: string;
}

/** A failed call, classified: `kind` is what reports and `errors:` expectations count. */
export class CallError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = "CallError";
  }
}

export interface ConnectionEvents {
  /** The peer (the proxy, or the service) closed the connection while we still wanted it. */
  onClosedByPeer(): void;
  onReset(): void;
}

export interface DriverConnection {
  /** Resolves with the replying service's identity, or rejects with a CallError. */
  call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined>;
  close(): void;
  readonly isOpen: boolean;
}

export interface ProtocolDriver {
  readonly protocol: string;
  connect(address: { host: string; port: number }, events: ConnectionEvents, options: Record<string, unknown>): Promise<DriverConnection>;
}

/**
 * Settles with `call`, or rejects with CallError("timeout") after `timeoutMs`; other failures go
 * through `classify`, so every driver reports errors by kind the same way.
 */
export async function callWithTimeout<T>(call: Promise<T>, timeoutMs: number, classify: (err: unknown) => CallError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallError("timeout", `no reply within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call, timeout]);
  } catch (err) {
    throw err instanceof CallError ? err : classify(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Envoy's Thrift and Dubbo routers answer with fixed texts where meshsim writes its kind
 * (`no route for method 'x'`, `dubbo router: no route for interface 'x'`, `no healthy upstream`,
 * `unknown cluster 'x'`, `too many connections` for an overflowing pool): the same kinds, so one
 * scenario's `errors:` expectations hold on either data plane.
 */
const ENVOY_LOCAL_REPLIES: ReadonlyArray<[RegExp, string]> = [
  [/\bno route for (method|interface)\b/, "no_route"],
  [/\bunknown cluster\b/, "no_cluster"],
  [/\bno healthy upstream\b/, "no_healthy_endpoint"],
  [/\btoo many connections\b|\bpending overflow\b/, "overflow"],
];

/** A local reply's error kind: meshsim writes `meshsim: <kind>: <text>`; Envoy's texts map to the same kinds. */
export function localReplyKind(message: string): string | undefined {
  const meshsim = /meshsim: ([a-z_]+):/.exec(message)?.[1];
  if (meshsim !== undefined) return meshsim;
  return ENVOY_LOCAL_REPLIES.find(([re]) => re.test(message))?.[1];
}
