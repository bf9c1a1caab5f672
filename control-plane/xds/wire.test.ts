import { describe, expect, it } from "vitest";
import { envoyRoot, TYPE_URL } from "../../common/envoy-protos.ts";
import { encodeSotwBody, frameSerializer } from "./wire.ts";

const Response = envoyRoot().lookupType("envoy.service.discovery.v3.DiscoveryResponse");
const decode = (b: Buffer) => Response.toObject(Response.decode(b)) as { version_info: string; type_url: string; nonce: string; resources?: unknown[] };

describe("frameSerializer", () => {
  it("appends the nonce to a shared body, short or long, growing its buffer as needed", () => {
    const serialize = frameSerializer();
    const small = encodeSotwBody("7", TYPE_URL.cluster, []);
    const large = encodeSotwBody(
      "8",
      TYPE_URL.route,
      Array.from({ length: 2000 }, () => ({ type_url: TYPE_URL.route, value: Buffer.alloc(64, 1) })),
    );
    expect(decode(serialize({ body: small, nonce: "1" }))).toMatchObject({ version_info: "7", type_url: TYPE_URL.cluster, nonce: "1" });
    // A nonce longer than 127 bytes takes a two-byte length; a body larger than the buffer grows it.
    const longNonce = "n".repeat(300);
    const decoded = decode(serialize({ body: large, nonce: longNonce }));
    expect(decoded).toMatchObject({ version_info: "8", type_url: TYPE_URL.route, nonce: longNonce });
    expect(decoded.resources).toHaveLength(2000);
    // The buffer is reused: the next frame is complete on its own, with nothing of the previous one.
    expect(decode(serialize({ body: small, nonce: "2" }))).toMatchObject({ version_info: "7", nonce: "2" });
  });
});
