import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from "kafkajs";
import { KAFKA_ERRORS } from "../../proxy/protocols/kafka/errors.ts";
import { CallError, type CallSpec, type ConnectionEvents, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * Drives Kafka with kafkajs, bootstrapped at the address. `call: {method: produce, args: [topic,
 * value]}` sends one message (value optional) with an idempotent producer (acks=all, retries
 * with a short backoff). `call: {method: consume, args: [topic]}` takes the next message of the
 * topic: each connection is a consumer in a group of its own (`call.headers.group_id`, default a
 * fresh one) that reads the topic from the beginning, so one connection sees every message once;
 * a call with no message within its timeout fails as `timeout`. `call.headers.client_id` is the
 * Kafka client id (the request header field rate limits and routes can match; default
 * "meshsim"). The client is connected on the connection's first call. Errors are classified by
 * their Kafka error name (REQUEST_TIMED_OUT ...), so expectations can count them. Kafka
 * responses carry no service identity: results have none, and `distribution` does not apply.
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
  private consumer: Promise<{ topic: string; consumer: Consumer; messages: MessageQueue }> | undefined;

  constructor(
    private readonly broker: string,
    private readonly events: ConnectionEvents,
    private readonly options: Record<string, unknown>,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  private client(clientId: string): Kafka {
    return new Kafka({
      clientId,
      brokers: [this.broker],
      logLevel: logLevel.NOTHING,
      retry: { retries: typeof this.options.retries === "number" ? this.options.retries : 8, initialRetryTime: 50, maxRetryTime: 1000 },
    });
  }

  private connectProducer(clientId: string): Promise<Producer> {
    const kafka = this.client(clientId);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producer.on(producer.events.DISCONNECT, () => {
      if (!this.closing) {
        this.open = false;
        this.events.onClosedByPeer();
      }
    });
    return producer.connect().then(() => producer);
  }

  /** One consumer per connection, in its own group unless the call names one, reading `topic` from the beginning. */
  private async connectConsumer(clientId: string, groupId: string, topic: string): Promise<{ topic: string; consumer: Consumer; messages: MessageQueue }> {
    const consumer = this.client(clientId).consumer({ groupId, maxWaitTimeInMs: 100 });
    // kafkajs restarts a consumer after a retriable error (a coordinator still loading): only a final crash loses it.
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart && !this.closing) {
        this.open = false;
        this.events.onClosedByPeer();
      }
    });
    const messages = new MessageQueue();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // eachMessage resolves once a call took the message: kafkajs fetches no further than callers read.
    await consumer.run({ autoCommit: true, eachMessage: ({ partition, message }) => messages.offer(partition, message) });
    return { topic, consumer, messages };
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    if (spec.method !== "produce" && spec.method !== "consume") throw new CallError("client_error", `kafka driver: unknown method ${spec.method} (use produce or consume)`);
    const [topic, value] = spec.args as [string, unknown];
    if (typeof topic !== "string" || topic === "") throw new CallError("client_error", `kafka driver: ${spec.method} needs a topic: args: [topic${spec.method === "produce" ? ", value?" : ""}]`);
    const clientId = spec.headers?.client_id ?? "meshsim";
    if (spec.method === "consume") return this.consume(topic, clientId, spec.headers?.group_id, timeoutMs);
    try {
      this.producer ??= this.connectProducer(clientId);
      const producer = await this.producer;
      await producer.send({ topic, acks: -1, timeout: timeoutMs, messages: [{ value: typeof value === "string" ? value : JSON.stringify(value ?? null) }] });
      return undefined;
    } catch (err) {
      throw new CallError(errorKind(err), (err as Error).message ?? String(err));
    }
  }

  private async consume(topic: string, clientId: string, groupId: string | undefined, timeoutMs: number): Promise<undefined> {
    const deadline = Date.now() + timeoutMs;
    try {
      this.consumer ??= this.connectConsumer(clientId, groupId ?? `meshsim-${randomUUID()}`, topic);
      const c = await this.consumer;
      if (c.topic !== topic) throw new CallError("client_error", `kafka driver: this connection consumes ${c.topic}; consume ${topic} in another traffic step`);
      await c.messages.take(Math.max(0, deadline - Date.now()));
      return undefined;
    } catch (err) {
      if (err instanceof CallError) throw err;
      throw new CallError(errorKind(err), (err as Error).message ?? String(err));
    }
  }

  close(): void {
    this.open = false;
    this.closing = true;
    void this.producer?.then((p) => p.disconnect()).catch(() => undefined);
    void this.consumer
      ?.then((c) => {
        // A message still waiting for a call would hold kafkajs's fetch loop, and disconnect with it.
        c.messages.release();
        return c.consumer.disconnect();
      })
      .catch(() => undefined);
  }
}

/**
 * Hands consumed messages to calls one at a time. A message waits (and so does kafkajs's fetch
 * loop) until a call takes it; a call waits until a message comes or its time is up. A message
 * delivered again (after a consumer restart, before its offset was committed) is passed over,
 * so each call counts a message the topic really holds.
 */
class MessageQueue {
  private readonly offered: Array<{ message: KafkaMessage; taken: () => void }> = [];
  private readonly waiting: Array<(message: KafkaMessage) => void> = [];
  private readonly seen = new Set<string>();
  private released = false;

  offer(partition: number, message: KafkaMessage): Promise<void> {
    const id = `${partition}:${message.offset}`;
    if (this.released || this.seen.has(id)) return Promise.resolve();
    this.seen.add(id);
    return new Promise((taken) => {
      const waiter = this.waiting.shift();
      if (waiter) {
        waiter(message);
        taken();
      } else this.offered.push({ message, taken });
    });
  }

  /** Lets go of every message waiting for a call, and of any that comes later: no call will take them. */
  release(): void {
    this.released = true;
    for (const o of this.offered.splice(0)) o.taken();
  }

  take(timeoutMs: number): Promise<KafkaMessage> {
    const next = this.offered.shift();
    if (next) {
      next.taken();
      return Promise.resolve(next.message);
    }
    return new Promise((resolve, reject) => {
      const waiter = (message: KafkaMessage) => {
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new CallError("timeout", `no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(waiter);
    });
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
  if (inner.type !== undefined) return inner.type;
  // kafkajs throws a plain Error ("Broker not connected") when a connection it relied on is gone.
  if (e.name === undefined || e.name === "Error") return /not connected|ECONNREFUSED|ECONNRESET|closed/i.test(e.message ?? "") ? "connection_error" : "client_error";
  return e.name;
}
