/** Real misbehaving Thrift upstreams for resilience tests, on 127.0.0.1. */
import { createServer, type Server, type Socket } from "node:net";
import { MessageReader } from "../core/message-reader.ts";
import { createThriftCodec } from "../protocols/thrift/index.ts";

/** A Thrift endpoint that answers every request with a TApplicationException. */
export async function erroringServer(): Promise<{ port: number; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const codec = createThriftCodec();
    const reader = new MessageReader(codec, {
      onMessage(m) {
        calls++;
        socket.write(codec.localReply(m, { kind: "upstream_failure", message: "backend error" }));
      },
      onDecodeError() {
        socket.destroy();
      },
    });
    socket.on("data", (d: Buffer) => reader.push(d));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    calls: () => calls,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Accepts connections and never answers. */
export async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
