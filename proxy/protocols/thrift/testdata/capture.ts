/**
 * Regenerates the testdata files from real traffic: the npm `thrift` client talks to the Hello
 * fixture server (fixtures/thrift) through a recording TCP relay, once per transport x protocol
 * x case, each on a fresh connection so seqids start at 1. `framed-binary-multiplexed` is a
 * TMultiplexedProtocol client (service name "Hello") against a multiplexed server. Writes
 * `<transport>-<protocol>-<case>.request` (client->server bytes) and `.response` (server->client;
 * absent for oneway-only cases). `laxbinary` is a client writing lax (unversioned) binary
 * headers; the server answers with strict ones.
 *
 *   node --import tsx proxy/protocols/thrift/testdata/capture.ts
 */
import { writeFileSync } from "node:fs";
import { type Server, createServer, connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import thrift from "thrift";
import { createHelloClient, type HelloClientHandle } from "../../../../fixtures/thrift/hello-client.ts";
import { helloTypes } from "../../../../fixtures/thrift/generated.ts";
import { startThriftServer, type ThriftClientProtocolName, type ThriftTransportName } from "../../../../fixtures/thrift/hello-server.ts";

const here = dirname(fileURLToPath(import.meta.url));

interface Recording {
  request: Buffer[];
  response: Buffer[];
}

/** A relay on 127.0.0.1 that records every byte of the (single) connection it carries. */
function startRecordingRelay(targetPort: number, recording: Recording): Promise<{ port: number; server: Server }> {
  const server = createServer((downstream) => {
    const upstream = connect(targetPort, "127.0.0.1");
    downstream.on("data", (chunk) => {
      recording.request.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      recording.response.push(Buffer.from(chunk));
      downstream.write(chunk);
    });
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as { port: number }).port, server })));
}

const allTypes = () =>
  new helloTypes.AllTypes({
    flag: true,
    tiny: -7,
    small: -300,
    medium: 70000,
    large: new thrift.Int64(0x12345678, 0x9abcdef0),
    ratio: 0.25,
    text: "héllo",
    blob: Buffer.from([0, 1, 2, 255]),
    names: ["a", "bb", "ccc"],
    ids: [1, -2, 300000],
    byName: { x: new helloTypes.Identity({ serviceName: "s", version: "v", instance: "i" }) },
    matrix: [[1, 2], [], [3]],
    switches: { 1: true, 2: false },
    identity: new helloTypes.Identity({ serviceName: "hello", version: "v2", instance: "n" }),
    bits: Array.from({ length: 20 }, (_, i) => i % 3 === 0),
  });

interface Case {
  name: string;
  run(client: HelloClientHandle, notified: string[]): Promise<unknown>;
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error("capture: timed out waiting");
}

const cases: Case[] = [
  { name: "sayHello", run: (c) => c.sayHello("world") },
  {
    name: "sayHelloFail",
    run: (c) =>
      c.sayHello("fail").then(
        () => Promise.reject(new Error("expected HelloError")),
        () => undefined,
      ),
  },
  { name: "echo", run: (c) => c.echo("ping") },
  {
    name: "notify",
    run: async (c, notified) => {
      await c.notify("deployed");
      await waitFor(() => notified.length > 0);
    },
  },
  { name: "echoAll", run: (c) => c.call("echoAll", allTypes()) },
  {
    name: "pipelined",
    run: async (c, notified) => {
      await Promise.all([c.sayHello("a"), c.echo("b"), c.notify("c"), c.call("getUser", "d")]);
      await waitFor(() => notified.length > 0);
    },
  },
];

async function capture(transport: ThriftTransportName, protocol: ThriftClientProtocolName, testCase: Case): Promise<void> {
  const server = await startThriftServer({
    service: "hello",
    version: "v1",
    instance: "hello-v1-0",
    transport,
    protocol: protocol === "laxbinary" ? "binary" : protocol,
  });
  const recording: Recording = { request: [], response: [] };
  const relay = await startRecordingRelay(server.port, recording);
  const client = createHelloClient({ port: relay.port, transport, protocol });
  try {
    await client.connected;
    await testCase.run(client, server.notified);
  } finally {
    await client.close();
    relay.server.close();
    await server.close();
  }
  const base = join(here, `${transport}-${protocol}-${testCase.name}`);
  writeFileSync(`${base}.request`, Buffer.concat(recording.request));
  if (recording.response.length > 0) writeFileSync(`${base}.response`, Buffer.concat(recording.response));
  process.stdout.write(`${base}: ${Buffer.concat(recording.request).length} / ${Buffer.concat(recording.response).length} bytes\n`);
}

/** One TMultiplexedProtocol call (`Hello:sayHello`) to a multiplexed npm server, framed binary. */
async function captureMultiplexed(): Promise<void> {
  // registerProcessor and createMultiplexServer exist in npm thrift but not in @types/thrift.
  const mux = thrift as unknown as {
    MultiplexedProcessor: new () => { registerProcessor(name: string, processor: unknown): void };
    createMultiplexServer(processor: unknown, options: object): Server;
  };
  const processor = new mux.MultiplexedProcessor();
  const { Processor } = (await import("../../../../fixtures/thrift/generated.ts")).HelloService;
  const identity = new helloTypes.Identity({ serviceName: "hello", version: "v1", instance: "hello-v1-0" });
  processor.registerProcessor(
    "Hello",
    new Processor({ sayHello: (name: string, done: (e: unknown, r?: unknown) => void) => done(null, new helloTypes.HelloReply({ message: `hello ${name}`, identity })) }) as never,
  );
  const server = mux.createMultiplexServer(processor, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const recording: Recording = { request: [], response: [] };
  const relay = await startRecordingRelay((server.address() as { port: number }).port, recording);
  const connection = thrift.createConnection("127.0.0.1", relay.port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol });
  const client = new thrift.Multiplexer().createClient("Hello", (await import("../../../../fixtures/thrift/generated.ts")).HelloService as never, connection) as unknown as {
    sayHello(name: string, cb: (e: unknown, r: unknown) => void): void;
  };
  await new Promise((resolve, reject) => client.sayHello("mux", (e, r) => (e ? reject(e) : resolve(r))));
  connection.end();
  relay.server.close();
  server.close();
  const base = join(here, "framed-binary-multiplexed");
  writeFileSync(`${base}.request`, Buffer.concat(recording.request));
  writeFileSync(`${base}.response`, Buffer.concat(recording.response));
}

await captureMultiplexed();
for (const transport of ["framed", "unframed"] as const) {
  for (const protocol of ["binary", "compact", "laxbinary"] as const) {
    for (const testCase of cases) {
      if (protocol === "laxbinary" && testCase.name !== "sayHello" && testCase.name !== "echoAll") continue;
      await capture(transport, protocol, testCase);
    }
  }
}
