/**
 * The Thrift codec as a codec-test module (see proxy/codec/README.md):
 *
 *   npx meshsim codec-test proxy/protocols/thrift/testdata/codec-test-module.ts
 *
 * Samples: every captured `.request` / `.response` here (framed and unframed: mutations are
 * ignored, there is no header slot), plus THeader frames around the captured unframed
 * messages, with info headers (mutations applied). Local replies are also read back with the
 * npm `thrift` library's own protocol classes and TApplicationException.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import thrift from "thrift";
import type { Message } from "../../../codec/codec.ts";
import type { CodecSample, ConformanceOptions } from "../../../codec/conformance.ts";
import { samplesFromFiles } from "../../../codec/codec-test.ts";
import type { ThriftDetail } from "../codec.ts";
import { createThriftCodec } from "../index.ts";
import { HEADER_FIXED_SIZE, withInfoHeaders, wrapInHeaderFrame } from "../transport-header.ts";

const here = dirname(fileURLToPath(import.meta.url));

export const codec = createThriftCodec;

/** THeader frames (binary and compact) around each message of a captured unframed stream. */
function headerSamples(captured: CodecSample[]): CodecSample[] {
  const out: CodecSample[] = [];
  for (const s of captured) {
    const m = /^unframed-(binary|compact)-(.*)$/.exec(s.name);
    if (m === null) continue;
    const protocol = m[1] as "binary" | "compact";
    const c = createThriftCodec();
    const frames: Buffer[] = [];
    for (let offset = 0; offset < s.bytes.length; ) {
      const r = c.decode(s.bytes, offset);
      if (r.status !== "message") break;
      const plain = wrapInHeaderFrame(Buffer.from(r.message.frame), protocol, r.message.requestId);
      frames.push(withInfoHeaders(plain, HEADER_FIXED_SIZE + 2, HEADER_FIXED_SIZE + 4, [{ key: "x-user", value: "alice" }]));
      offset += r.consumed;
    }
    out.push({ name: `header-${protocol}-${m[2]} (from ${s.name})`, bytes: Buffer.concat(frames), mutation: "applied" });
  }
  return out;
}

export function samples(): CodecSample[] {
  const captured = samplesFromFiles(
    here,
    (name) => /\.(request|response)$/.test(name),
    () => ({ mutation: "ignored" }),
  );
  return [...captured, ...headerSamples(captured)];
}

const TRANSPORT = thrift.TFramedTransport as unknown as new (buffer: Buffer) => thrift.TTransport;

/** Reads a local reply with the npm library as its client would; throws if it is not a TApplicationException for `request`. */
export function readWithNpmThrift(reply: Buffer, request: Message): void {
  const detail = request.detail as ThriftDetail;
  let message = reply;
  if (detail.transport === "framed") message = reply.subarray(4);
  if (detail.transport === "header") message = reply.subarray(HEADER_FIXED_SIZE + reply.readUInt16BE(12) * 4);
  const transport = new TRANSPORT(Buffer.from(message));
  const Protocol = (detail.protocol === "compact" ? thrift.TCompactProtocol : thrift.TBinaryProtocol) as unknown as new (t: thrift.TTransport) => thrift.TProtocol;
  const input = new Protocol(transport);
  const begin = input.readMessageBegin();
  if (begin.mtype !== thrift.Thrift.MessageType.EXCEPTION) throw new Error(`message type ${begin.mtype}, expected EXCEPTION`);
  if (begin.rseqid !== request.requestId) throw new Error(`seqid ${begin.rseqid}, expected ${request.requestId}`);
  const x = new thrift.Thrift.TApplicationException(thrift.Thrift.TApplicationExceptionType.UNKNOWN, "");
  (x as unknown as { read(p: thrift.TProtocol): void }).read(input);
  if (!/^meshsim: /.test(x.message)) throw new Error(`TApplicationException message "${x.message}"`);
}

export const options: ConformanceOptions = {
  realClient: (reply, request) => readWithNpmThrift(reply, request),
};
