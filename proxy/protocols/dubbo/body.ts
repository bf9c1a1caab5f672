/*
 * The hessian2 request body (DubboCodec.encodeRequestData) and the attachments map at the end of
 * request and OK-response bodies:
 *
 *   request body  ::= string(dubbo version) string(service path) string(service version)
 *                     string(method) string(parameter type descriptor) value{N} attachments
 *   attachments   ::= 'H' (key value)* 'Z' | 'M' type (key value)* 'Z' | 'N' | (absent)
 *
 * N is the number of types in the descriptor (descriptor.ts); the arguments are skipped, never
 * built. Every string-valued attachment becomes routing metadata, then `interface`, `method` and
 * `version` from the body override attachments of the same name.
 */
import { HessianFormatError, type HessianReader, isStringTag } from "./hessian2/reader.ts";
import { countParameterTypes } from "./descriptor.ts";

export interface AttachmentEntry {
  key: string;
  /** Offsets (in the reader's buffer) of the key's first byte and one past the value's last. */
  start: number;
  end: number;
}

/** Reads a request body into `metadata`; returns where the attachments map starts. */
export function readRequestBody(r: HessianReader, metadata: Map<string, string>): number {
  r.readString(); // dubbo protocol version
  const path = r.readString();
  const version = r.readString();
  const method = r.readString();
  // dubbox (a Dubbo fork) may write an int (-1) before the descriptor.
  if (!isStringTag(r.peek()) && r.peek() !== 0x4e) r.readInt();
  const desc = r.readString() ?? "";
  const params = countParameterTypes(desc);
  if (params < 0) throw new HessianFormatError(`bad parameter type descriptor "${desc}"`);
  for (let i = 0; i < params; i++) r.skipValue();
  const attachmentsOffset = r.pos;
  readAttachments(r, metadata, undefined);
  if (path === null || method === null) throw new HessianFormatError("request without service path or method");
  metadata.set("interface", path);
  metadata.set("method", method);
  if (version !== null && version !== "") metadata.set("version", version);
  else metadata.delete("version");
  return attachmentsOffset;
}

/**
 * Reads the attachments map at the reader's position (nothing when the body ends there, or a
 * null). String pairs go into `metadata` when given; every entry's byte range into `entries`
 * when given.
 */
export function readAttachments(r: HessianReader, metadata: Map<string, string> | undefined, entries: AttachmentEntry[] | undefined): void {
  if (r.atEnd) return;
  const tag = r.peek();
  if (tag === 0x4e) {
    r.pos++;
    return;
  }
  if (tag !== 0x48 && tag !== 0x4d) throw new HessianFormatError(`expected the attachments map, found tag 0x${tag.toString(16)}`);
  r.pos++;
  if (tag === 0x4d) r.skipType();
  while (r.peek() !== 0x5a) {
    const start = r.pos;
    let key: string | null = null;
    if (isStringTag(r.peek())) key = r.readString();
    else r.skipValue();
    let value: string | null = null;
    if (isStringTag(r.peek())) value = r.readString();
    else r.skipValue();
    if (key !== null) {
      if (metadata !== undefined && value !== null) metadata.set(key, value);
      if (entries !== undefined) entries.push({ key, start, end: r.pos });
    }
  }
  r.pos++;
}
