/**
 * ADS server over gRPC, both variants: StreamAggregatedResources (state of the world, see
 * sotw-stream.ts) and DeltaAggregatedResources (incremental, see delta-stream.ts). One stream
 * per proxy carries every resource type. Every snapshot is pushed to every stream at once;
 * streams never wait for each other's ACKs, so a proxy that reconnects, subscribes late, sends
 * garbage or never ACKs does not delay anyone else. The gRPC transport is grpc-stream-server.ts.
 */
import { PushGate, type AdsStream } from "./ads-stream.ts";
import { DeltaStream } from "./delta-stream.ts";
import { GrpcStatus } from "../../common/grpc/status.ts";
import { startGrpcStreamServer, type CallHandlers, type ServerCall } from "./grpc-stream-server.ts";
import type { SnapshotCache } from "./snapshot-cache.ts";
import { SotwStream } from "./sotw-stream.ts";
import { DELTA_PATH, requestDecoders, SOTW_PATH, type RequestNode } from "./wire.ts";
import type { XdsStatusTracker } from "./xds-status.ts";
import { bindHost } from "../../common/bind-host.ts";

export interface XdsServer {
  port: number;
  /** Streams currently open. */
  streams(): number;
  close(): Promise<void>;
}

/** Binds 127.0.0.1:`port` (0 picks a free port) and serves the cache's snapshots. */
export async function startXdsServer(options: {
  port: number;
  cache: SnapshotCache;
  tracker: XdsStatusTracker;
  gate?: PushGate;
  /** The cache a node is served from (default: `cache` for every node); see data-plane-caches.ts. */
  cacheFor?: (node: RequestNode | undefined) => SnapshotCache;
}): Promise<XdsServer> {
  const { cache, tracker } = options;
  const gate = options.gate ?? new PushGate();
  const streams = new Set<AdsStream<unknown>>();
  const decode = requestDecoders();
  let anonymous = 0;

  /** Connects a call to the stream `make` builds: requests in, responses out, the end both ways. */
  const serve =
    <Req, S extends AdsStream<Req>>(decodeRequest: (b: Buffer, stream: S) => Req, make: (write: (parts: readonly Buffer[]) => boolean, anonymousId: string) => S) =>
    (call: ServerCall): CallHandlers => {
      anonymous += 1;
      const stream = make((parts) => call.write(parts), `anonymous-${anonymous}`);
      streams.add(stream as AdsStream<unknown>);
      return {
        // A request the stream cannot make sense of ends that stream only (INVALID_ARGUMENT).
        message: (bytes) => stream.onRequest(decodeRequest(bytes, stream)),
        halfClosed: () => call.end(GrpcStatus.OK),
        drained: () => stream.drained(),
        closed: () => {
          streams.delete(stream as AdsStream<unknown>);
          stream.closed();
        },
      };
    };

  const grpc = await startGrpcStreamServer({
    host: bindHost(),
    port: options.port,
    methods: {
      // An ACK repeats the names its stream asked for: compared with them as bytes, not walked.
      [SOTW_PATH]: serve(
        (bytes, stream: SotwStream) => decode.sotw(bytes, stream.namesHeld()),
        (write, id) => new SotwStream(write, cache, tracker, id, gate, options.cacheFor),
      ),
      [DELTA_PATH]: serve(decode.delta, (write, id) => new DeltaStream(write, cache, tracker, id, gate, options.cacheFor)),
    },
  });
  const unsubscribe = cache.onSnapshot(() => {
    for (const s of streams) s.pushAll();
  });
  return {
    port: grpc.port,
    streams: () => streams.size,
    close: () => {
      unsubscribe();
      return grpc.close();
    },
  };
}
