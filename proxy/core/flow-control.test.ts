/**
 * Back-pressure both ways: a client that does not read its replies stops being read from, and a
 * saturated upstream socket pauses the clients feeding it — instead of buffering without bound.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect, createServer, type Server, type Socket } from "node:net";
import { startThriftMesh, type ThriftMesh } from "../testing/thrift-mesh.ts";

/** A framed, strict-binary `echo(text)` call. */
function echoCall(seqid: number, text: Buffer): Buffer {
  const name = Buffer.from("echo");
  const body = Buffer.alloc(4 + 4 + name.length + 4 + 3 + 4 + text.length + 1);
  let o = 0;
  o = body.writeUInt32BE(0x80010001, o);
  o = body.writeInt32BE(name.length, o);
  o += name.copy(body, o);
  o = body.writeInt32BE(seqid, o);
  o = body.writeUInt8(11, o); // string
  o = body.writeInt16BE(1, o);
  o = body.writeInt32BE(text.length, o);
  o += text.copy(body, o);
  body.writeUInt8(0, o); // stop
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

const L = "listener.hello.default.svc.cluster.local_9090";
const until = async (check: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

describe("flow control", () => {
  let mesh: ThriftMesh | undefined;
  let stalled: Server | undefined;
  afterEach(async () => {
    await mesh?.close();
    await new Promise((r) => (stalled ? stalled.close(() => r(undefined)) : r(undefined)));
    mesh = undefined;
    stalled = undefined;
  });

  it("stops reading a client that does not read its replies, and resumes when it does", async () => {
    mesh = await startThriftMesh({ v1: 1 });
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "v1" } }]);
    const client: Socket = connect({ host: "127.0.0.1", port: mesh.port });
    await new Promise<void>((r) => client.on("connect", () => r()));
    client.pause(); // never read, for now
    const text = Buffer.alloc(32 * 1024, 0x61);
    const calls = 400; // 12.8 MB of replies
    for (let i = 1; i <= calls; i++) client.write(echoCall(i, text));
    expect(await until(() => mesh!.stat(`${L}.downstream_flow_control_paused_reading_total`) > 0, 10_000)).toBe(true);
    // Reading again: every reply arrives and the proxy resumes.
    let received = 0;
    client.on("data", (d: Buffer) => (received += d.length));
    client.resume();
    expect(await until(() => received >= calls * text.length, 20_000)).toBe(true);
    expect(mesh.stat(`${L}.downstream_flow_control_resumed_reading_total`)).toBeGreaterThan(0);
    client.destroy();
  });

  it("pauses clients while the upstream socket cannot take more", async () => {
    mesh = await startThriftMesh({ v1: 1 });
    const held: Socket[] = [];
    stalled = createServer((s) => {
      s.pause(); // accepts and never reads
      held.push(s);
    });
    await new Promise<void>((r) => stalled!.listen(0, "127.0.0.1", () => r()));
    mesh.setCluster("stalled", {}, [{ host: "127.0.0.1", port: (stalled.address() as { port: number }).port }]);
    mesh.setRoutes([{ name: "r", match: [], action: { kind: "cluster", cluster: "stalled" } }]);
    const client = connect({ host: "127.0.0.1", port: mesh.port });
    await new Promise<void>((r) => client.on("connect", () => r()));
    const text = Buffer.alloc(64 * 1024, 0x62);
    for (let i = 1; i <= 300; i++) client.write(echoCall(i, text)); // 19 MB towards a peer that reads nothing
    expect(await until(() => mesh!.stat(`${L}.downstream_flow_control_paused_reading_total`) > 0, 10_000)).toBe(true);
    // The proxy stopped reading, so the bytes back up in the client, not in the proxy.
    expect(await until(() => client.writableLength > 8 * 1024 * 1024, 10_000)).toBe(true);
    client.destroy();
    for (const s of held) s.destroy();
  });
});
