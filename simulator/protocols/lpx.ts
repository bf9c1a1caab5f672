/**
 * LPX, the example codec's made-up protocol (fixtures/example-codec), wired into the simulator as
 * any protocol is: this file and a line in registry.ts. Its client is written here against the
 * protocol's grammar; its sample service and codec live with the example.
 */
import { connect, type Socket } from "node:net";
import { FrameReader, LPX_TYPE, writeFrame, type PeerFrame } from "../../fixtures/example-codec/peer.ts";
import { CallError, callWithTimeout, localReplyKind, type CallSpec, type DriverConnection, type Identity, type ProtocolDriver } from "../traffic/protocol-driver.ts";
import { identityArgs, type SimulatorProtocol } from "./simulator-protocol.ts";

const lpxDriver: ProtocolDriver = {
  protocol: "lpx",
  async connect(address, events) {
    const socket = connect(address.port, address.host);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", (err) => reject(new CallError("connect_failed", err.message)));
    });
    return new LpxConnection(socket, events);
  },
};

class LpxConnection implements DriverConnection {
  private nextId = 1;
  private closing = false;
  private readonly waiting = new Map<number, { resolve(f: PeerFrame): void; reject(e: Error): void }>();

  constructor(
    private readonly socket: Socket,
    events: { onClosedByPeer(): void; onReset(): void },
  ) {
    const reader = new FrameReader();
    socket.on("data", (chunk) => {
      try {
        for (const f of reader.push(chunk)) this.settle(f);
      } catch (err) {
        this.failAll(new CallError("protocol_error", (err as Error).message));
        socket.destroy();
      }
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET") events.onReset();
    });
    socket.on("close", () => {
      this.failAll(new CallError("connection_closed", "the connection closed before the reply"));
      if (!this.closing) events.onClosedByPeer();
    });
  }

  get isOpen(): boolean {
    return !this.socket.destroyed;
  }

  async call(spec: CallSpec, timeoutMs: number): Promise<Identity | undefined> {
    const id = this.nextId++;
    const reply = new Promise<PeerFrame>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.socket.write(writeFrame(LPX_TYPE.request, id, [["method", spec.method], ...Object.entries(spec.headers ?? {})], Buffer.from(JSON.stringify(spec.args))));
    try {
      const frame = await callWithTimeout(reply, timeoutMs, (err) => (err instanceof CallError ? err : new CallError("client_error", String(err))));
      if (frame.type === LPX_TYPE.error) {
        const message = frame.body.toString("utf8");
        throw new CallError(frame.headers.get("error") ?? localReplyKind(message) ?? "lpx_error", message);
      }
      const [service, version, instance] = ["service", "version", "instance"].map((k) => frame.headers.get(k));
      return service && version && instance ? { service, version, instance } : undefined;
    } finally {
      this.waiting.delete(id);
    }
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private settle(frame: PeerFrame): void {
    this.waiting.get(frame.requestId)?.resolve(frame);
  }

  private failAll(error: CallError): void {
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}

export const lpx: SimulatorProtocol = {
  name: "lpx",
  driver: lpxDriver,
  keyed: true,
  codecModule: "fixtures/example-codec/index.ts",
  fixture: (service, version, instance, port) => ({ runtime: "node", script: "fixtures/example-codec/server.ts", args: identityArgs(service, version, instance, port) }),
};
