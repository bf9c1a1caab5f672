import { describe, expect, it } from "vitest";
import { envoyRoot, TYPE_URL } from "../../common/envoy-protos.ts";
import { decodeNames, encodeSotwBody, frameParts, requestDecoders } from "./wire.ts";

const root = envoyRoot();
const Response = root.lookupType("envoy.service.discovery.v3.DiscoveryResponse");
const Request = root.lookupType("envoy.service.discovery.v3.DiscoveryRequest");
const decode = (b: Buffer) => Response.toObject(Response.decode(b)) as { version_info: string; type_url: string; nonce: string; resources?: unknown[] };

describe("frameParts", () => {
  it("appends the nonce to a shared body without touching it, for short and long nonces", () => {
    const small = encodeSotwBody("7", TYPE_URL.cluster, []);
    const large = encodeSotwBody(
      "8",
      TYPE_URL.route,
      Array.from({ length: 2000 }, () => ({ type_url: TYPE_URL.route, value: Buffer.alloc(64, 1) })),
    );
    const smallCopy = Buffer.from(small);
    const parts = frameParts({ body: small, nonce: "1" });
    expect(parts[0]).toBe(small);
    expect(decode(Buffer.concat(parts))).toMatchObject({ version_info: "7", type_url: TYPE_URL.cluster, nonce: "1" });
    // A nonce longer than 127 bytes takes a two-byte length.
    const longNonce = "n".repeat(300);
    const decoded = decode(Buffer.concat(frameParts({ body: large, nonce: longNonce })));
    expect(decoded).toMatchObject({ version_info: "8", type_url: TYPE_URL.route, nonce: longNonce });
    expect(decoded.resources).toHaveLength(2000);
    expect(small.equals(smallCopy)).toBe(true);
  });
});

describe("state-of-the-world request decoder", () => {
  const { sotw } = requestDecoders();
  const names = Array.from({ length: 3000 }, (_, i) => `outbound|9090|v${i % 3}|svc-${i}.bench.svc.cluster.local${"x".repeat(i % 150)}`);

  it("reads every field around a long run of names and keeps the names as raw bytes", () => {
    const bytes = Buffer.from(
      Request.encode(
        Request.fromObject({ version_info: "3", node: { id: "p-1" }, resource_names: names, type_url: TYPE_URL.endpoint, response_nonce: "9", error_detail: { code: 3, message: "bad" } }),
      ).finish(),
    );
    const req = sotw(bytes);
    expect(req).toMatchObject({ version_info: "3", node: { id: "p-1" }, type_url: TYPE_URL.endpoint, response_nonce: "9", error_detail: { code: 3, message: "bad" } });
    expect(decodeNames(req.names_raw)).toEqual(names);
  });

  it("reads names written in other ways (a padded tag) and skips a field 3 of another wire type", () => {
    // Field 3 with a two-byte tag (26 padded: 0x9a 0x00), then "A"; then field 3 as a varint.
    const req = sotw(Buffer.from([0x9a, 0x00, 0x01, 0x41, 0x18, 0x00, 0x22, 0x01, 0x74]));
    expect(decodeNames(req.names_raw)).toEqual(["A"]);
    expect(req.type_url).toBe("t");
  });

  it("hands back the very buffer of names the stream holds when an ACK repeats them, and only then", () => {
    const request = (list: string[]) => Buffer.from(Request.encode(Request.fromObject({ version_info: "4", resource_names: list, type_url: TYPE_URL.endpoint, response_nonce: "n" })).finish());
    const held = sotw(request(names)).names_raw!;
    const heldCopy = Buffer.from(held);
    const other = sotw(request(names.slice(0, 10))).names_raw!;
    const ack = sotw(request(names), [other, held]);
    expect(ack.names_raw).toBe(held);
    expect(ack).toMatchObject({ version_info: "4", type_url: TYPE_URL.endpoint, response_nonce: "n" });
    // One name more, one name less, one byte changed: each is read as what it is.
    for (const list of [[...names, "one-more"], names.slice(0, -1), [...names.slice(0, -1), `${names.at(-1)!.slice(0, -1)}Z`]]) {
      const req = sotw(request(list), [held]);
      expect(req.names_raw).not.toBe(held);
      expect(decodeNames(req.names_raw)).toEqual(list);
    }
    // A held run longer than what is left of the request is not read past its end.
    expect(decodeNames(sotw(request(names.slice(0, 2)), [held]).names_raw)).toEqual(names.slice(0, 2));
    expect(held.equals(heldCopy)).toBe(true);
  });

  it("refuses a request whose names run past its end", () => {
    const bytes = Buffer.from(Request.encode(Request.fromObject({ resource_names: names.slice(0, 3), type_url: TYPE_URL.endpoint })).finish());
    // Cut inside the third name: its length says more bytes follow than there are.
    const cut = bytes.subarray(0, bytes.indexOf("svc-2") + 3);
    expect(() => sotw(cut)).toThrow(/truncated resource_names/);
  });
});
