/**
 * The proxy's ADS client (state of the world). One gRPC stream carries every type: CDS and
 * LDS as wildcards, then EDS for the clusters received and RDS for the route configurations
 * the listeners name. CDS and LDS responses carry the full set; EDS and RDS responses may carry
 * only the resources that changed (as the xDS protocol allows for those types), so the client
 * keeps what it holds by name and hands the sink the complete set for the names it subscribes
 * to. Each response is decoded and handed to the ConfigSink; when the sink
 * accepts it the client ACKs (version_info + response_nonce), otherwise it NACKs with the
 * version it keeps running and the sink's error message. A broken stream is reopened with
 * exponential backoff, resubscribing with the versions already accepted.
 */
import { GrpcChannel, type ClientCall } from "../../common/grpc/client-channel.ts";
import type { Bootstrap } from "../config/types.ts";
import type { ConfigSink } from "../config/config-sink.ts";
import { decodeCluster, decodeClusterLoadAssignment, decodeListener, decodeRouteConfiguration, edsServiceName } from "./decode.ts";
import { decodeAny, envoyRoot, TO_OBJECT_OPTIONS, toStruct, TYPE_URL, type TypeUrl } from "../../common/envoy-protos.ts";

const ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
/** google.rpc.Code.INVALID_ARGUMENT */
const INVALID_ARGUMENT = 3;

export interface AdsClientOptions {
  /** First reconnect delay; doubles per failed attempt up to backoffMaxMs. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Called with every rejected update and stream error (the client itself never throws). */
  onError?: (err: Error) => void;
}

export interface AdsTypeStatus {
  /** Last accepted version. */
  version?: string;
  /** Nonce of the last response received on the current stream. */
  nonce?: string;
  /** Subscribed names; absent for wildcard. */
  resourceNames?: string[];
  /** The last rejected response, until a later one is accepted. */
  nack?: { version: string; reason: string };
}

export interface AdsClientStatus {
  server: string;
  connected: boolean;
  reconnects: number;
  types: Record<string, AdsTypeStatus>;
}

export interface AdsClient {
  close(): void;
  status(): AdsClientStatus;
}

interface DiscoveryResponse {
  version_info?: string;
  resources?: Array<{ type_url: string; value: Uint8Array }>;
  type_url?: string;
  nonce?: string;
}

interface TypeState {
  version: string;
  /** EDS/RDS: what the sink holds, by resource name. */
  held?: Map<string, unknown>;
  nonce: string;
  /** null: wildcard. */
  names: string[] | null;
  subscribed: boolean;
  nack?: { version: string; reason: string };
}

const SHORT_NAMES: Record<TypeUrl, string> = {
  [TYPE_URL.cluster]: "Cluster",
  [TYPE_URL.endpoint]: "ClusterLoadAssignment",
  [TYPE_URL.listener]: "Listener",
  [TYPE_URL.route]: "RouteConfiguration",
};

export function startAdsClient(bootstrap: Bootstrap, sink: ConfigSink, options: AdsClientOptions = {}): AdsClient {
  const server = bootstrap.xds?.address;
  if (!server) throw new Error("startAdsClient: the bootstrap has no xds.address");
  const root = envoyRoot();
  const Request = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
  const Response = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
  const serialize = (m: object) => Buffer.from(Request.encode(Request.fromObject(m)).finish());
  const deserialize = (b: Buffer) => Response.toObject(Response.decode(b), TO_OBJECT_OPTIONS) as DiscoveryResponse;
  const backoffInitial = options.backoffInitialMs ?? 100;
  const backoffMax = options.backoffMaxMs ?? 5000;
  const onError = options.onError ?? (() => undefined);

  const channel = new GrpcChannel(server);
  const node = {
    id: bootstrap.node.id,
    cluster: bootstrap.node.cluster,
    metadata: toStruct(bootstrap.node.metadata ?? {}),
    user_agent_name: "meshsim",
  };
  const types = new Map<TypeUrl, TypeState>([
    [TYPE_URL.cluster, { version: "", nonce: "", names: null, subscribed: true }],
    [TYPE_URL.endpoint, { version: "", nonce: "", names: [], subscribed: false, held: new Map() }],
    [TYPE_URL.listener, { version: "", nonce: "", names: null, subscribed: true }],
    [TYPE_URL.route, { version: "", nonce: "", names: [], subscribed: false, held: new Map() }],
  ]);
  let stream: ClientCall | undefined;
  let connected = false;
  let closed = false;
  let reconnects = 0;
  let backoff = backoffInitial;
  let retryTimer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  let nodeSent = false;

  const request = (s: typeof stream, typeUrl: TypeUrl, extra: { error?: string } = {}) => {
    if (!s || s !== stream) return;
    const st = types.get(typeUrl)!;
    s.write([
      serialize({
        ...(nodeSent ? {} : { node }),
        version_info: st.version,
        resource_names: st.names ?? [],
        type_url: typeUrl,
        response_nonce: st.nonce,
        ...(extra.error !== undefined && { error_detail: { code: INVALID_ARGUMENT, message: extra.error } }),
      }),
    ]);
    nodeSent = true;
  };

  /** Changes a named subscription (EDS, RDS); asks again only when the names changed. */
  const resubscribe = (s: typeof stream, typeUrl: TypeUrl, names: string[]) => {
    const st = types.get(typeUrl)!;
    const sorted = [...new Set(names)].sort();
    if (st.subscribed && JSON.stringify(sorted) === JSON.stringify(st.names)) return;
    if (!st.subscribed && sorted.length === 0) return;
    st.names = sorted;
    st.subscribed = true;
    request(s, typeUrl);
  };

  const apply = async (s: typeof stream, resp: DiscoveryResponse): Promise<void> => {
    if (s !== stream) return; // a response from a stream that has since broken
    const typeUrl = resp.type_url as TypeUrl;
    const st = types.get(typeUrl);
    if (!st) return;
    st.nonce = resp.nonce ?? "";
    const version = resp.version_info ?? "";
    let followUp: (() => void) | undefined;
    let nextHeld: Map<string, unknown> | undefined;
    /** Merges named resources into what is held, keeping only subscribed names. */
    const merge = <T>(items: T[], nameOf: (t: T) => string): T[] => {
      const wanted = new Set(st.names ?? []);
      nextHeld = new Map([...st.held!].filter(([n]) => wanted.has(n)));
      for (const item of items) nextHeld.set(nameOf(item), item);
      return [...nextHeld.values()] as T[];
    };
    try {
      const objects = (resp.resources ?? []).map((any) => {
        if (any.type_url !== typeUrl) throw new Error(`resource of type ${any.type_url} in a ${typeUrl} response`);
        return decodeAny(typeUrl, any.value);
      });
      switch (typeUrl) {
        case TYPE_URL.cluster: {
          const clusters = objects.map(decodeCluster);
          await sink.setClusters(clusters);
          followUp = () => resubscribe(s, TYPE_URL.endpoint, objects.map(edsServiceName));
          break;
        }
        case TYPE_URL.endpoint:
          await sink.setEndpoints(merge(objects.map(decodeClusterLoadAssignment), (a) => a.clusterName));
          break;
        case TYPE_URL.listener: {
          const listeners = objects.map((l) => decodeListener(l, bootstrap.redirects));
          await sink.setListeners(listeners);
          followUp = () =>
            resubscribe(
              s,
              TYPE_URL.route,
              listeners.map((l) => l.routeConfigName),
            );
          break;
        }
        case TYPE_URL.route:
          await sink.setRoutes(merge(objects.map(decodeRouteConfiguration), (r) => r.name));
          break;
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      st.nack = { version, reason };
      onError(new Error(`rejected ${SHORT_NAMES[typeUrl]} version ${version}: ${reason}`));
      request(s, typeUrl, { error: reason });
      return;
    }
    st.version = version;
    if (nextHeld) st.held = nextHeld;
    delete st.nack;
    request(s, typeUrl);
    followUp?.();
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    const delay = backoff;
    backoff = Math.min(backoff * 2, backoffMax);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      reconnects += 1;
      connect();
    }, delay);
  };

  const connect = () => {
    if (closed) return;
    let broken = false;
    const onBroken = (err: Error) => {
      if (broken) return;
      broken = true;
      if (stream === s) {
        stream = undefined;
        connected = false;
      }
      if (!closed) onError(err);
      scheduleReconnect();
    };
    const s: ClientCall = channel.call(ADS_PATH, {
      message: (bytes) => {
        let resp: DiscoveryResponse;
        try {
          resp = deserialize(bytes);
        } catch (err) {
          // Reported once, as what it is; the cancel's own end is then not a second failure.
          onBroken(new Error(`an undecodable DiscoveryResponse: ${(err as Error).message}`));
          s.cancel();
          return;
        }
        connected = true;
        backoff = backoffInitial;
        queue = queue.then(() => apply(s, resp)).catch((err: Error) => onError(err));
      },
      end: (err) => onBroken(err ?? new Error("the control plane ended the ADS stream")),
    });
    stream = s;
    nodeSent = false;
    for (const st of types.values()) st.nonce = "";
    for (const [typeUrl, st] of types) if (st.subscribed) request(s, typeUrl);
  };

  connect();

  return {
    close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const s = stream;
      stream = undefined;
      connected = false;
      s?.cancel();
      channel.close();
    },
    status() {
      return {
        server,
        connected,
        reconnects,
        types: Object.fromEntries(
          [...types.entries()]
            .filter(([, st]) => st.subscribed)
            .map(([typeUrl, st]) => [
              SHORT_NAMES[typeUrl],
              {
                ...(st.version && { version: st.version }),
                ...(st.nonce && { nonce: st.nonce }),
                ...(st.names && { resourceNames: [...st.names] }),
                ...(st.nack && { nack: { ...st.nack } }),
              },
            ]),
        ),
      };
    },
  };
}
