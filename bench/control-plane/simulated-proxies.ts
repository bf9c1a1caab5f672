/**
 * Many lightweight ADS clients in one process, for the control-plane benchmark. Each opens one
 * stream (state of the world or delta), subscribes like a sidecar (CDS and LDS wildcard, EDS
 * and RDS by name — the names follow from the benchmark's service count, so responses are never
 * decoded beyond their envelope), and ACKs every response at once.
 *
 *   node --import tsx bench/control-plane/simulated-proxies.ts <port> <count> <services> <sotw|delta> <id-prefix>
 *
 * Prints `{"ready":true}` when every stream has its first response of every type, and
 * `{"cpuSeconds":N}` on stdin end, then exits.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { envoyRoot, TYPE_URL } from "../../common/envoy-protos.ts";
import { clusterNames, routeNames } from "./workload.ts";

const [portArg, countArg, servicesArg, mode = "sotw", prefix = "proxy"] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const services = Number(servicesArg);
const STREAMS_PER_CHANNEL = 100;
/**
 * The HTTP/2 receive window per stream and per connection: Envoy's default for its xDS
 * connection (initial_stream_window_size and initial_connection_window_size, 256 MiB). With
 * HTTP/2's default 64 KiB a full configuration needs dozens of WINDOW_UPDATE round trips, and a
 * hundred streams share one connection's 64 KiB.
 */
const RECEIVE_WINDOW = 256 * 1024 * 1024;

interface Envelope {
  version: string;
  typeUrl: string;
  nonce: string;
}

/** Reads only version_info / system_version_info (1), type_url (4) and nonce (5); skips the resources. */
function envelope(b: Buffer): Envelope {
  const r = protobuf.Reader.create(b);
  const out: Envelope = { version: "", typeUrl: "", nonce: "" };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) out.version = r.string();
    else if (field === 4) out.typeUrl = r.string();
    else if (field === 5) out.nonce = r.string();
    else r.skipType(tag & 7);
  }
  return out;
}

const root = envoyRoot();
const Req = root.lookupType(mode === "delta" ? "envoy.service.discovery.v3.DeltaDiscoveryRequest" : "envoy.service.discovery.v3.DiscoveryRequest");
const path = `/envoy.service.discovery.v3.AggregatedDiscoveryService/${mode === "delta" ? "DeltaAggregatedResources" : "StreamAggregatedResources"}`;
const encode = (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish());
/** resource_names fields encoded once: an ACK is a few short fields plus these bytes. */
const namesField = (names: string[]) => {
  const w = protobuf.Writer.create();
  for (const n of names) w.uint32(26).string(n);
  return Buffer.from(w.finish());
};
const ackBytes = (e: Envelope, names: Buffer) => {
  const head = protobuf.Writer.create().uint32(10).string(e.version).uint32(34).string(e.typeUrl).uint32(42).string(e.nonce).finish();
  return names.length === 0 ? Buffer.from(head) : Buffer.concat([head, names]);
};
const edsNames = clusterNames(services);
const rdsNames = routeNames(services);
const edsField = namesField(edsNames);
const rdsField = namesField(rdsNames);
const noNames = Buffer.alloc(0);
const TYPES = [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route];

let readyStreams = 0;
const clients: grpc.Client[] = [];
for (let i = 0; i < count; i++) {
  if (i % STREAMS_PER_CHANNEL === 0) {
    clients.push(
      new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
        "grpc.max_receive_message_length": -1,
        "grpc-node.flow_control_window": RECEIVE_WINDOW,
      }),
    );
  }
  const client = clients[clients.length - 1]!;
  const call = client.makeBidiStreamRequest(path, (b: Buffer) => b, envelope);
  const seen = new Set<string>();
  const node = { id: `${prefix}-${i}`, cluster: "bench" };
  call.on("data", (e: Envelope) => {
    if (mode === "delta") call.write(encode({ type_url: e.typeUrl, response_nonce: e.nonce }));
    else call.write(ackBytes(e, e.typeUrl === TYPE_URL.endpoint ? edsField : e.typeUrl === TYPE_URL.route ? rdsField : noNames));
    if (!seen.has(e.typeUrl)) {
      seen.add(e.typeUrl);
      if (seen.size === TYPES.length && ++readyStreams === count) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    }
  });
  call.on("error", () => undefined);
  for (const typeUrl of TYPES) {
    const names = typeUrl === TYPE_URL.endpoint ? edsNames : typeUrl === TYPE_URL.route ? rdsNames : [];
    if (mode === "delta") call.write(encode({ node, type_url: typeUrl, resource_names_subscribe: names }));
    else call.write(encode({ node, type_url: typeUrl, resource_names: names }));
  }
}

process.stdin.on("end", () => {
  const usage = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuSeconds: (usage.user + usage.system) / 1e6 })}\n`);
  for (const c of clients) c.close();
  process.exit(0);
});
process.stdin.resume();
