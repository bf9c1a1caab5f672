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
