import { describe, expect, it } from "vitest";
import { envoyRoot, TYPE_URL } from "../../common/envoy-protos.ts";
import { type Envelope, ResponseEnvelopes } from "./response-envelopes.ts";

const root = envoyRoot();
const Sotw = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
const Delta = root.lookupType("envoy.service.discovery.v3.DeltaDiscoveryResponse");

function grpcMessage(bytes: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([prefix, bytes]);
}

describe("ResponseEnvelopes", () => {
  const sotw = Sotw.encode(
    Sotw.fromObject({
      version_info: "12",
      // Fifty resources, then an empty one (a zero length right after the tag).
      resources: [...Array.from({ length: 50 }, () => ({ type_url: TYPE_URL.cluster, value: Buffer.alloc(300, 7) })), {}],
      canary: true,
      type_url: TYPE_URL.cluster,
      nonce: "n-129",
    }),
  ).finish();
  const delta = Delta.encode(
    Delta.fromObject({ system_version_info: "13", type_url: TYPE_URL.endpoint, nonce: "d-1", removed_resources: ["gone"], resources: [{ name: "a", version: "v" }] }),
  ).finish();
  const stream = Buffer.concat([grpcMessage(sotw), grpcMessage(delta), grpcMessage(new Uint8Array(0))]);
  const expected: Envelope[] = [
    { version: "12", typeUrl: TYPE_URL.cluster, nonce: "n-129" },
    { version: "13", typeUrl: TYPE_URL.endpoint, nonce: "d-1" },
    { version: "", typeUrl: "", nonce: "" },
  ];

  it("reads version, type and nonce of responses however the stream is cut", () => {
    for (const size of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const reader = new ResponseEnvelopes();
      const got: Envelope[] = [];
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size), (e) => got.push(e));
      expect(got, `chunks of ${size} bytes`).toEqual(expected);
    }
  });
});
