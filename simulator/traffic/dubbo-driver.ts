import { createDubboConsumer, type DubboConsumer } from "../../fixtures/dubbo/consumer.ts";
import { CallError, callWithTimeout, localReplyKind, type CallSpec, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * A call header (sent as an attachment too) that makes the driver check the response: the
 * response attachments must hold `key=value`, else the call fails as `response_attachment_missing`.
 * It lets a scenario assert that a response mutation reached the consumer.
 */
export const EXPECT_RESPONSE_ATTACHMENT = "meshsim-expect-response-attachment";

/**
 * Drives the Dubbo fixtures with the real npm `apache-dubbo-js` client. Call `headers` are sent
 * as attachments. Errors are classified so expectations can count them: a meshsim local reply
 * (`meshsim: <kind>: ...` in the Dubbo error) counts as its kind.
 */
export const dubboDriver: ProtocolDriver = {
  protocol: "dubbo",
  async connect(address, events) {
    let closedByUs = false;
    const consumer = createDubboConsumer({
      host: address.host,
      port: address.port,
      // What a Java consumer sends when no version is configured. apache-dubbo-js would send a
      // null version, which Envoy's dubbo_proxy cannot decode (it closes the connection).
      serviceVersion: "0.0.0",
      timeoutMs: 30_000,
      onClose: () => {
        if (!closedByUs) events.onClosedByPeer();
      },
    });
    try {
      await consumer.connected;
    } catch (err) {
      consumer.close();
      throw new CallError("connect_failed", (err as Error).message);
    }
    return new DubboConnection(consumer, () => (closedByUs = true));
  },
};

class DubboConnection implements DriverConnection {
  constructor(
    private readonly consumer: DubboConsumer,
    private readonly markClosing: () => void,
  ) {}

  get isOpen(): boolean {
    return !this.consumer.closed;
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    const headers = (spec as CallSpec & { headers?: Record<string, string> }).headers;
    const args = spec.args.map((a) => String(a));
    const hasHeaders = headers !== undefined && Object.keys(headers).length > 0;
    const result = await callWithTimeout(this.consumer.call(spec.method, args, hasHeaders ? headers : undefined), timeoutMs, classify);
    const expected = headers?.[EXPECT_RESPONSE_ATTACHMENT];
    if (expected !== undefined) {
      const eq = expected.indexOf("=");
      const [k, v] = [expected.slice(0, eq), expected.slice(eq + 1)];
      if (result.responseAttachments[k] !== v) {
        throw new CallError("response_attachment_missing", `response attachments ${JSON.stringify(result.responseAttachments)} lack ${expected}`);
      }
    }
    const r = result.reply;
    return r && typeof r === "object" && r.instance ? { service: r.service, version: r.version, instance: r.instance } : undefined;
  }

  close(): void {
    this.markClosing();
    this.consumer.close();
  }
}

function classify(err: unknown): CallError {
  const e = err as { name?: string; message?: string };
  const message = e?.message ?? String(err);
  const local = localReplyKind(message);
  if (local) return new CallError(local, message);
  if (/remote invoke timeout/.test(message)) return new CallError("timeout", message);
  if (/socket-worker was closed|SocketWorker had closed/i.test(message)) return new CallError("connection_closed", message);
  if (/Exception/.test(e?.name ?? "") || /Exception/.test(message)) return new CallError("application_exception", message);
  if (e?.name === "DubboDecodeError") return new CallError("dubbo_error", message);
  return new CallError("client_error", message);
}
