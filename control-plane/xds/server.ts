/**
 * ADS server (state of the world) over gRPC: one bidirectional stream per proxy carrying
 * every resource type. CDS and LDS are wildcard; EDS and RDS honour resource_names. Every
 * response carries the snapshot version and a fresh nonce; a request echoing the latest nonce
 * is an ACK (or a NACK when it carries error_detail); a request with an older nonce is stale
 * and ignored, as the xDS protocol prescribes.
 */
import * as grpc from "@grpc/grpc-js";
import { TYPE_URL } from "../translate/envoy-types.ts";
import { envoyRoot, TO_OBJECT_OPTIONS, type AnyMessage } from "../../common/envoy-protos.ts";
import { TYPE_ORDER, type SnapshotCache, type TypeUrl } from "./snapshot-cache.ts";
import type { XdsStatusTracker } from "./xds-status.ts";

const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URL.cluster, TYPE_URL.listener]);

interface DiscoveryRequest {
  version_info?: string;
  node?: { id?: string; cluster?: string };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
}

function adsServiceDefinition(): grpc.ServiceDefinition {
  const root = envoyRoot();
  const Request = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
  const Response = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
  return {
    StreamAggregatedResources: {
      path: ADS_PATH,
      requestStream: true,
      responseStream: true,
      requestSerialize: (m: DiscoveryRequest) => Buffer.from(Request.encode(Request.fromObject(m)).finish()),
      requestDeserialize: (b: Buffer) => Request.toObject(Request.decode(b), TO_OBJECT_OPTIONS) as DiscoveryRequest,
      responseSerialize: (m: DiscoveryResponse) => Buffer.from(Response.encode(Response.fromObject(m)).finish()),
      responseDeserialize: (b: Buffer) => Response.toObject(Response.decode(b), TO_OBJECT_OPTIONS) as DiscoveryResponse,
    },
  };
}

interface Subscription {
  /** null: everything of this type (wildcard). */
  names: string[] | null;
  lastNonce?: string;
  sentVersion?: string;
}

type AdsCall = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** One proxy's stream. */
class AdsStream {
  private nodeId: string | undefined;
  private nonce = 0;
  private readonly subscriptions = new Map<TypeUrl, Subscription>();

  constructor(
    private readonly call: AdsCall,
    private readonly cache: SnapshotCache,
    private readonly tracker: XdsStatusTracker,
    private readonly anonymousId: string,
  ) {}

  onRequest(req: DiscoveryRequest): void {
    if (this.nodeId === undefined) {
      this.nodeId = req.node?.id || this.anonymousId;
      this.tracker.connected(this.nodeId);
    }
    const typeUrl = req.type_url as TypeUrl;
    if (!TYPE_ORDER.includes(typeUrl)) return;
    const names = req.resource_names ?? [];
    const requested = names.length === 0 && WILDCARD_TYPES.has(typeUrl) ? null : [...names].sort();
    const sub = this.subscriptions.get(typeUrl);
    if (sub && req.response_nonce) {
      if (req.response_nonce !== sub.lastNonce) return;
      if (req.error_detail) {
        // The request's version_info is the version the proxy keeps running; record the one it rejected.
        this.tracker.nacked(this.nodeId, typeUrl, sub.sentVersion ?? "", req.error_detail.message ?? "");
      } else this.tracker.acked(this.nodeId, typeUrl, req.version_info ?? "");
      if (JSON.stringify(requested) !== JSON.stringify(sub.names)) {
        sub.names = requested;
        this.send(typeUrl);
      }
      return;
    }
    this.subscriptions.set(typeUrl, { names: requested });
    this.send(typeUrl);
  }

  /** Pushes the current snapshot for every subscribed type, in dependency order. */
  pushAll(): void {
    for (const typeUrl of TYPE_ORDER) if (this.subscriptions.has(typeUrl)) this.send(typeUrl);
  }

  closed(): void {
    if (this.nodeId !== undefined) this.tracker.disconnected(this.nodeId);
  }

  private send(typeUrl: TypeUrl): void {
    const sub = this.subscriptions.get(typeUrl);
    if (!sub || this.nodeId === undefined) return;
    const snapshot = this.cache.current();
    const all = snapshot.resources.get(typeUrl) ?? new Map<string, AnyMessage>();
    const resources = sub.names === null ? [...all.values()] : sub.names.flatMap((n) => all.get(n) ?? []);
    this.nonce += 1;
    sub.lastNonce = String(this.nonce);
    sub.sentVersion = snapshot.version;
    this.tracker.sent(this.nodeId, typeUrl, snapshot.version);
    this.call.write({ version_info: snapshot.version, resources, type_url: typeUrl, nonce: sub.lastNonce });
  }
}

export interface XdsServer {
  port: number;
  close(): Promise<void>;
}

/** Binds 127.0.0.1:`port` (0 picks a free port) and serves the cache's snapshots. */
export async function startXdsServer(options: { port: number; cache: SnapshotCache; tracker: XdsStatusTracker }): Promise<XdsServer> {
  const { cache, tracker } = options;
  const streams = new Set<AdsStream>();
  let anonymous = 0;
  const server = new grpc.Server();
  server.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (call: AdsCall) => {
      anonymous += 1;
      const stream = new AdsStream(call, cache, tracker, `anonymous-${anonymous}`);
      streams.add(stream);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        streams.delete(stream);
        stream.closed();
      };
      call.on("data", (req: DiscoveryRequest) => stream.onRequest(req));
      call.on("end", () => {
        finish();
        call.end();
      });
      call.on("error", finish);
      call.on("cancelled", finish);
      call.on("close", finish);
    },
  });
  const unsubscribe = cache.onSnapshot(() => {
    for (const s of streams) s.pushAll();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.tryShutdown(() => resolve());
        // Open streams would keep a graceful shutdown waiting forever.
        setTimeout(() => server.forceShutdown(), 200).unref();
      }),
  };
}
