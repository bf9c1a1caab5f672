/**
 * ADS server over gRPC, both variants: StreamAggregatedResources (state of the world, see
 * sotw-stream.ts) and DeltaAggregatedResources (incremental, see delta-stream.ts). One stream
 * per proxy carries every resource type. Every snapshot is pushed to every stream at once;
 * streams never wait for each other's ACKs, so a proxy that reconnects, subscribes late, sends
 * garbage or never ACKs does not delay anyone else.
 */
import * as grpc from "@grpc/grpc-js";
import { PushGate, type AdsStream } from "./ads-stream.ts";
import { DeltaStream } from "./delta-stream.ts";
import type { SnapshotCache } from "./snapshot-cache.ts";
import { SotwStream } from "./sotw-stream.ts";
import { adsServiceDefinition, type DeltaDiscoveryRequest, type DiscoveryRequest, type Frame, type RequestNode } from "./wire.ts";
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
  let anonymous = 0;
  const server = new grpc.Server({ "grpc.max_concurrent_streams": 100_000 });

  const serve = <Req>(call: grpc.ServerDuplexStream<Req, Frame>, stream: AdsStream<Req>) => {
    streams.add(stream as AdsStream<unknown>);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      streams.delete(stream as AdsStream<unknown>);
      stream.closed();
    };
    call.on("data", (req: Req) => {
      try {
        stream.onRequest(req);
      } catch (err) {
        // A request the stream cannot make sense of ends that stream only.
        call.destroy(err as Error);
        finish();
      }
    });
    call.on("end", () => {
      finish();
      call.end();
    });
    call.on("error", finish);
    call.on("cancelled", finish);
    call.on("close", finish);
  };

  server.addService(adsServiceDefinition(), {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, Frame>) => {
      anonymous += 1;
      serve(call, new SotwStream(call, cache, tracker, `anonymous-${anonymous}`, gate, options.cacheFor));
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Frame>) => {
      anonymous += 1;
      serve(call, new DeltaStream(call, cache, tracker, `anonymous-${anonymous}`, gate, options.cacheFor));
    },
  });
  const unsubscribe = cache.onSnapshot(() => {
    for (const s of streams) s.pushAll();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost()}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    streams: () => streams.size,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.tryShutdown(() => resolve());
        // Open streams (a client that never hangs up) would keep a graceful shutdown waiting forever.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 200).unref();
      }),
  };
}
