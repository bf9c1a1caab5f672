/**
 * Bare ADS clients for tests: a state-of-the-world and a delta stream that record what they
 * receive and send exactly what the test tells them (no automatic ACKs).
 */
import * as grpc from "@grpc/grpc-js";
import { envoyRoot, TO_OBJECT_OPTIONS } from "../../common/envoy-protos.ts";
import { DELTA_PATH, SOTW_PATH } from "./wire.ts";

export interface SotwResponse {
  version_info: string;
  nonce: string;
  type_url: string;
  resources: Array<{ type_url: string; value: Uint8Array }>;
}
export interface DeltaResponse {
  system_version_info: string;
  nonce: string;
  type_url: string;
  resources: Array<{ name: string; version: string; resource: { type_url: string; value: Uint8Array } }>;
  removed_resources: string[];
}

export interface TestStream<Res> {
  send(m: object): void;
  /** The next response, or throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Res>;
  /** Resolves true when no response arrives within `ms`. */
  quiet(ms: number): Promise<boolean>;
  close(): void;
  errored: () => boolean;
}

function open<Res>(port: number, path: string, reqType: string, resType: string): TestStream<Res> {
  const root = envoyRoot();
  const Req = root.lookupType(reqType);
  const Res = root.lookupType(resType);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    path,
    (m: object) => (Buffer.isBuffer(m) ? m : Buffer.from(Req.encode(Req.fromObject(m)).finish())),
    (b: Buffer) => Res.toObject(Res.decode(b), TO_OBJECT_OPTIONS) as Res,
  );
  const received: Res[] = [];
  const waiters: Array<() => void> = [];
  let errored = false;
  call.on("data", (r: Res) => {
    received.push(r);
    waiters.splice(0).forEach((w) => w());
  });
  call.on("error", () => {
    errored = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    send: (m) => call.write(m),
    async next(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length === 0) {
        if (Date.now() > deadline) throw new Error(`no response within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 20);
        });
      }
      return received.shift()!;
    },
    async quiet(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return received.length === 0;
    },
    close() {
      call.cancel();
      client.close();
    },
    errored: () => errored,
  };
}

export function sotwStream(port: number): TestStream<SotwResponse> {
  return open(port, SOTW_PATH, "envoy.service.discovery.v3.DiscoveryRequest", "envoy.service.discovery.v3.DiscoveryResponse");
}

export function deltaStream(port: number): TestStream<DeltaResponse> {
  return open(port, DELTA_PATH, "envoy.service.discovery.v3.DeltaDiscoveryRequest", "envoy.service.discovery.v3.DeltaDiscoveryResponse");
}

export async function until(what: string, probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
