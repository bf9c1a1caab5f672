import { Redis } from "ioredis";
import { CallError, callWithTimeout, type CallSpec, type DriverConnection, type Identity, type ProtocolDriver } from "./protocol-driver.ts";

/**
 * Drives Redis with ioredis, cluster-unaware (the proxy hides the servers). A call is one
 * command: `method` is its name, `args` its arguments; `$seq` inside an argument becomes a
 * number counting up per connection, so that keys differ. Redis replies carry no identity.
 *
 * Error kinds: `fault` (an injected fault), `auth` (NOAUTH, WRONGPASS), `timeout`,
 * `upstream_failure` (the proxy lost or could not reach the server), `crossslot`,
 * `redis_error` (any other error reply), `connection_closed`.
 */
export const redisDriver: ProtocolDriver = {
  protocol: "redis",
  async connect(address, events, options) {
    let closedByUs = false;
    const client = new Redis({
      host: address.host,
      port: address.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      retryStrategy: () => null,
      ...(typeof options.password === "string" && { password: options.password }),
      ...(typeof options.username === "string" && { username: options.username }),
    });
    let lastError = "";
    client.on("error", (err: NodeJS.ErrnoException) => {
      lastError = err.message;
      if (err.code === "ECONNRESET") events.onReset();
    });
    client.on("close", () => {
      if (!closedByUs) events.onClosedByPeer();
    });
    try {
      await client.connect();
    } catch (err) {
      // ioredis opens with HELLO; a proxy (or server) wanting a password refuses it with NOAUTH.
      closedByUs = true;
      client.disconnect();
      const message = `${(err as Error).message} ${lastError}`;
      throw /NOAUTH|WRONGPASS/.test(message) ? new CallError("auth", message.trim()) : err;
    }
    return new RedisConnection(client, () => (closedByUs = true));
  },
};

class RedisConnection implements DriverConnection {
  private seq = 0;

  constructor(
    private readonly client: Redis,
    private readonly markClosing: () => void,
  ) {}

  get isOpen(): boolean {
    return this.client.status === "ready" || this.client.status === "connect";
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    const n = String(this.seq++);
    const args = spec.args.map((a) => (typeof a === "string" ? a.replaceAll("$seq", n) : String(a)));
    await callWithTimeout(this.client.call(spec.method, ...args), timeoutMs, classify);
    return undefined;
  }

  close(): void {
    this.markClosing();
    this.client.disconnect();
  }
}

function classify(err: unknown): CallError {
  const message = (err as Error)?.message ?? String(err);
  if (/Fault injected/i.test(message)) return new CallError("fault", message);
  if (/^(NOAUTH|WRONGPASS)/.test(message)) return new CallError("auth", message);
  if (/timeout/i.test(message)) return new CallError("timeout", message);
  if (/upstream connection closed|cannot connect|upstream protocol error/.test(message)) return new CallError("upstream_failure", message);
  if (/^CROSSSLOT/.test(message)) return new CallError("crossslot", message);
  if (/Connection is closed|Stream isn't writeable/i.test(message)) return new CallError("connection_closed", message);
  return new CallError("redis_error", message);
}
