import { createHelloClient, type HelloClientHandle } from "../../fixtures/thrift/hello-client.ts";
import type { HelloMethod, HelloReply } from "../../fixtures/thrift/generated.ts";
import type { ThriftProtocolName, ThriftTransportName } from "../../fixtures/thrift/hello-server.ts";
import { CallError, callWithTimeout, localReplyKind, type CallSpec, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * Drives the Hello fixture with the real npm `thrift` client. Errors are classified so that
 * expectations can count them: a meshsim local reply (`meshsim: <kind>: ...`) counts as its kind.
 */
export const thriftDriver: ProtocolDriver = {
  protocol: "thrift",
  async connect(address, events, options) {
    let closedByUs = false;
    const handle = createHelloClient({
      host: address.host,
      port: address.port,
      transport: options.transport as ThriftTransportName | undefined,
      protocol: options.protocolVariant as ThriftProtocolName | undefined,
      onError: (err) => {
        if ((err as NodeJS.ErrnoException).code === "ECONNRESET") events.onReset();
      },
      onClose: () => {
        if (!closedByUs) events.onClosedByPeer();
      },
    });
    await handle.connected;
    return new ThriftConnection(handle, () => (closedByUs = true));
  },
};

class ThriftConnection implements DriverConnection {
  constructor(
    private readonly handle: HelloClientHandle,
    private readonly markClosing: () => void,
  ) {}

  get isOpen(): boolean {
    return !this.handle.closed;
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    const reply = await callWithTimeout(this.handle.call<HelloReply | string>(spec.method as HelloMethod, ...spec.args), timeoutMs, classify);
    if (reply && typeof reply === "object" && reply.identity) {
      const id = reply.identity;
      return { service: id.serviceName, version: id.version, instance: id.instance };
    }
    return undefined;
  }

  close(): void {
    this.markClosing();
    void this.handle.close();
  }
}

function classify(err: unknown): CallError {
  const e = err as { name?: string; message?: string; code?: string; type?: number };
  const message = e?.message ?? String(err);
  const local = localReplyKind(message);
  if (local) return new CallError(local, message);
  if (e?.name === "ConnectionClosedError") return new CallError("connection_closed", message);
  if (e?.name === "TApplicationException") return new CallError("application_exception", message);
  if (e?.name === "HelloError") return new CallError("declared_exception", message);
  return new CallError("client_error", message);
}
