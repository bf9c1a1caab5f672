import { Kafka, logLevel, type Producer } from "kafkajs";
import { KAFKA_ERRORS } from "../../proxy/protocols/kafka/errors.ts";
import { CallError, type CallSpec, type ConnectionEvents, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * Drives Kafka with kafkajs: a connection is an idempotent producer (acks=all, retries with a
 * short backoff) bootstrapped at the address; `call: {method: produce, args: [topic, value]}`
 * sends one message (value optional). `call.headers.client_id` is the Kafka client id (the
 * request header field rate limits and routes can match; default "meshsim"); the producer is
 * connected with it on the connection's first call. Errors are classified by their Kafka error
 * name (REQUEST_TIMED_OUT ...), so expectations can count them. Kafka responses carry no
 * service identity: results have none, and `distribution` does not apply.
 */
export const kafkaDriver: ProtocolDriver = {
  protocol: "kafka",
  async connect(address, events, options) {
    return new KafkaConnection(`${address.host}:${address.port}`, events, options);
  },
};

class KafkaConnection implements DriverConnection {
  private open = true;
  private closing = false;
  private producer: Promise<Producer> | undefined;

  constructor(
    private readonly broker: string,
    private readonly events: ConnectionEvents,
    private readonly options: Record<string, unknown>,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  private connectProducer(clientId: string): Promise<Producer> {
    const kafka = new Kafka({
      clientId,
      brokers: [this.broker],
      logLevel: logLevel.NOTHING,
      retry: { retries: typeof this.options.retries === "number" ? this.options.retries : 8, initialRetryTime: 50, maxRetryTime: 1000 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producer.on(producer.events.DISCONNECT, () => {
      if (!this.closing) {
        this.open = false;
        this.events.onClosedByPeer();
      }
    });
    return producer.connect().then(() => producer);
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    if (spec.method !== "produce") throw new CallError("client_error", `kafka driver: unknown method ${spec.method} (use produce)`);
    const [topic, value] = spec.args as [string, unknown];
    if (typeof topic !== "string" || topic === "") throw new CallError("client_error", "kafka driver: produce needs a topic: args: [topic, value?]");
    const clientId = (spec as CallSpec & { headers?: Record<string, string> }).headers?.client_id ?? "meshsim";
    try {
      this.producer ??= this.connectProducer(clientId);
      const producer = await this.producer;
      await producer.send({ topic, acks: -1, timeout: timeoutMs, messages: [{ value: typeof value === "string" ? value : JSON.stringify(value ?? null) }] });
      return undefined;
    } catch (err) {
      throw new CallError(errorKind(err), (err as Error).message ?? String(err));
    }
  }

  close(): void {
    this.open = false;
    this.closing = true;
    void this.producer?.then((p) => p.disconnect()).catch(() => undefined);
  }
}

const ERROR_NAMES = new Map<number, string>(Object.entries(KAFKA_ERRORS).map(([name, code]) => [code, name]));

type KafkaJsError = { type?: string; code?: number; name?: string; message?: string; cause?: KafkaJsError; originalError?: KafkaJsError };

/** The Kafka error name (kafkajs's `type`; codes kafkajs does not know, such as THROTTLING_QUOTA_EXCEEDED, by their code). */
function errorKind(err: unknown): string {
  const e = err as KafkaJsError;
  const inner = e.type !== undefined ? e : (e.cause ?? e.originalError ?? e);
  if (inner.type === "KAFKAJS_UNKNOWN_ERROR_CODE") {
    // kafkajs keeps the broker's code only in its message: "Unknown error code 89".
    const code = Number(/error code (-?\d+)/.exec(inner.message ?? "")?.[1]);
    return ERROR_NAMES.get(code) ?? (Number.isFinite(code) ? `KAFKA_ERROR_${code}` : inner.type);
  }
  return inner.type ?? e.name ?? "client_error";
}
