/**
 * What a traffic executor needs from a protocol's real client library: open a connection,
 * make a call, learn who answered. One implementation per protocol (`thrift-driver.ts` ...).
 */
export interface CallSpec {
  method: string;
  args: unknown[];
}

export interface Identity {
  service: string;
  version: string;
  instance: string;
}

/** A failed call, classified: `kind` is what reports and `errors:` expectations count. */
export class CallError extends Error {
  constructor(readonly kind: string, message: string) {
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

/** A meshsim local reply carries `meshsim: <kind>: <text>`; its kind is the error kind. */
export function localReplyKind(message: string): string | undefined {
  return /meshsim: ([a-z_]+):/.exec(message)?.[1];
}
