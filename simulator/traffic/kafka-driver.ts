import { Kafka, logLevel, type Producer } from "kafkajs";
import { CallError, type CallSpec, type ConnectionEvents, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * Drives Kafka with kafkajs: a connection is an idempotent producer (acks=all) bootstrapped at
 * the address; `call: {method: produce, args: [topic, value]}` sends one message. Errors are
 * classified by their Kafka error name (REQUEST_TIMED_OUT ...), so expectations can count them.
 */
export const kafkaDriver: ProtocolDriver = {
  protocol: "kafka",
  async connect(address, events, options) {
    const kafka = new Kafka({
      clientId: typeof options.clientId === "string" ? options.clientId : "meshsim",
      brokers: [`${address.host}:${address.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: typeof options.retries === "number" ? options.retries : 5 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    let closing = false;
    producer.on(producer.events.DISCONNECT, () => {
      if (!closing) events.onClosedByPeer();
    });
    await producer.connect();
    return new KafkaConnection(producer, () => (closing = true));
  },
};

class KafkaConnection implements DriverConnection {
  private open = true;

  constructor(
    private readonly producer: Producer,
    private readonly markClosing: () => void,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    if (spec.method !== "produce") throw new CallError("client_error", `kafka driver: unknown method ${spec.method} (use produce)`);
    const [topic, value] = spec.args as [string, unknown];
    try {
      await this.producer.send({ topic, acks: -1, timeout: timeoutMs, messages: [{ value: typeof value === "string" ? value : JSON.stringify(value ?? null) }] });
      return undefined;
    } catch (err) {
      const e = err as { type?: string; name?: string; message?: string; cause?: { type?: string } };
      throw new CallError(e.type ?? e.cause?.type ?? e.name ?? "client_error", e.message ?? String(err));
    }
  }

  close(): void {
    this.open = false;
    this.markClosing();
    void this.producer.disconnect();
  }
}
