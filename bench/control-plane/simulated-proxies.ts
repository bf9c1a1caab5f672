/**
 * Many lightweight ADS clients in one process, for the control-plane benchmark. Each opens one
 * stream (state of the world or delta), subscribes like a sidecar (CDS and LDS wildcard, EDS
 * and RDS by name — the names follow from the benchmark's service count, so responses are never
 * decoded beyond their envelope), and ACKs every response at once, repeating its names as Envoy
 * does.
 *
 * The clients speak gRPC over node:http2 themselves (one connection per proxy by default): the
 * benchmark measures servers, and grpc-js's per-message copies and buffering made this process,
 * which shares the machine's cores with the server, the slowest part of the measurement.
 *
 *   node --import tsx bench/control-plane/simulated-proxies.ts <port> <count> <services> <sotw|delta> <id-prefix>
 *
 * Prints `{"ready":true}` when every stream has its first response of every type, and
 * `{"cpuSeconds":N}` on stdin end, then exits.
 */
import * as http2 from "node:http2";
import protobuf from "protobufjs";
import { envoyRoot, TYPE_URL } from "../../common/envoy-protos.ts";
import { writeMessage } from "../../common/grpc/messages.ts";
import { type Envelope, ResponseEnvelopes } from "./response-envelopes.ts";
import { clusterNames, routeNames } from "./workload.ts";

const [portArg, countArg, servicesArg, mode = "sotw", prefix = "proxy"] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const services = Number(servicesArg);
/** BENCH_STREAMS_PER_CONNECTION: 1 (the default) is what sidecars do, one connection each. */
const STREAMS_PER_CONNECTION = Number(process.env.BENCH_STREAMS_PER_CONNECTION ?? 1);
if (!Number.isInteger(STREAMS_PER_CONNECTION) || STREAMS_PER_CONNECTION < 1) {
  throw new Error(`BENCH_STREAMS_PER_CONNECTION must be a whole number of at least 1, not ${process.env.BENCH_STREAMS_PER_CONNECTION}`);
}
/**
 * The HTTP/2 receive window per stream: Envoy's default for its xDS connection
 * (initial_stream_window_size, 256 MiB). With HTTP/2's default 64 KiB a full configuration
 * needs dozens of WINDOW_UPDATE round trips.
 */
const RECEIVE_WINDOW = 256 * 1024 * 1024;

const root = envoyRoot();
const Req = root.lookupType(mode === "delta" ? "envoy.service.discovery.v3.DeltaDiscoveryRequest" : "envoy.service.discovery.v3.DiscoveryRequest");
const path = `/envoy.service.discovery.v3.AggregatedDiscoveryService/${mode === "delta" ? "DeltaAggregatedResources" : "StreamAggregatedResources"}`;
const encode = (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish());
/**
 * resource_names fields encoded once (field 3, in a DiscoveryRequest as resource_names and in a
 * DeltaDiscoveryRequest as resource_names_subscribe): a first request or an ACK is a few short
 * fields plus these bytes. Encoding each proxy's thousands of names afresh was a second of this
 * process's CPU while 2000 proxies connected.
 */
const namesField = (names: string[]) => {
  const w = protobuf.Writer.create();
  for (const n of names) w.uint32(26).string(n);
  return Buffer.from(w.finish());
};
const ackHead = (e: Envelope) => Buffer.from(protobuf.Writer.create().uint32(10).string(e.version).uint32(34).string(e.typeUrl).uint32(42).string(e.nonce).finish());
const edsField = namesField(clusterNames(services));
const rdsField = namesField(routeNames(services));
const NO_NAMES = Buffer.alloc(0);
/** CDS and LDS are wildcard; EDS and RDS name every cluster and route configuration. */
const namesOf = (typeUrl: string) => (typeUrl === TYPE_URL.endpoint ? edsField : typeUrl === TYPE_URL.route ? rdsField : NO_NAMES);
const TYPES = [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route];

let readyStreams = 0;
let reportedError = false;
const sessions: http2.ClientHttp2Session[] = [];
for (let i = 0; i < count; i++) {
  if (i % STREAMS_PER_CONNECTION === 0) {
    // maxSessionMemory (MB): with Node's default of 10, a hundred streams' first requests (Envoy
    // repeats every name it wants) already overflow it and new streams are refused.
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: RECEIVE_WINDOW }, maxSessionMemory: 1024 });
    session.on("error", (err) => process.stderr.write(`simulated proxies: connection error: ${err.message}\n`));
    sessions.push(session);
  }
  const stream = sessions[sessions.length - 1]!.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  const seen = new Set<string>();
  const node = { id: `${prefix}-${i}`, cluster: "bench" };
  const envelopes = new ResponseEnvelopes();
  stream.on("data", (chunk: Buffer) =>
    envelopes.push(chunk, (e) => {
      if (mode === "delta") writeMessage(stream, [encode({ type_url: e.typeUrl, response_nonce: e.nonce })]);
      else writeMessage(stream, [ackHead(e), namesOf(e.typeUrl)]);
      if (!seen.has(e.typeUrl)) {
        seen.add(e.typeUrl);
        if (seen.size === TYPES.length && ++readyStreams === count) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
      }
    }),
  );
  stream.on("trailers", (t) => {
    if (t["grpc-status"] !== "0" && !reportedError) process.stderr.write(`simulated proxies: stream ${i} ended with gRPC status ${t["grpc-status"]}: ${t["grpc-message"] ?? ""}\n`);
    reportedError = true;
  });
  stream.on("error", (err) => {
    // Once the round is over the server's exit ends every stream; before that, say why.
    if (!reportedError && readyStreams < count) process.stderr.write(`simulated proxies: stream ${i}: ${err.message}\n`);
    reportedError = true;
  });
  for (const typeUrl of TYPES) writeMessage(stream, [encode({ node, type_url: typeUrl }), namesOf(typeUrl)]);
}

process.stdin.on("end", () => {
  const usage = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuSeconds: (usage.user + usage.system) / 1e6 })}\n`);
  for (const s of sessions) s.destroy();
  process.exit(0);
});
process.stdin.resume();
