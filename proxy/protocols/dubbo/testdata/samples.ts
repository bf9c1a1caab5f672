/**
 * Dubbo samples written by apache-dubbo-js's own encoder (pipelined too), its heartbeat, and a
 * non-OK response: the conformance suite's and the fuzzer's seeds.
 */
import { encoderV2 } from "../../../../fixtures/dubbo/hessian-peer.ts";
import type { CodecSample } from "../../../codec/conformance.ts";
import { Context, DubboEncoder, HeartBeat, java } from "./dubbo-js.ts";

function request(id: number, method: string, args: unknown[], attachments: Record<string, string> = {}): Buffer {
  const ctx = Context.create();
  Object.assign(ctx, { requestId: id, dubboVersion: "2.0.2", dubboInterface: "meshsim.dubbo.HelloService", path: "meshsim.dubbo.HelloService", methodName: method, methodArgs: args, attachments });
  return new DubboEncoder(ctx).encode();
}

function errorResponse(): Buffer {
  const body = encoderV2().write("Not found exported service").get();
  const out = Buffer.alloc(16 + body.length);
  out.writeUInt16BE(0xdabb, 0);
  out[2] = 0x02;
  out[3] = 60;
  out.writeBigInt64BE(9n, 4);
  out.writeInt32BE(body.length, 12);
  body.copy(out, 16);
  return out;
}

export function dubboSamples(): CodecSample[] {
  return [
    { name: "dubbojs-sayHello.request", bytes: request(1, "sayHello", [java.String("meshsim")], { tenant: "acme" }) },
    { name: "dubbojs-getUser-object.request", bytes: request(2, "getUser", [java.combine("meshsim.dubbo.User", { id: 1, tags: ["a"] }), java.long(2 ** 40)]) },
    { name: "dubbojs-pipelined.request", bytes: Buffer.concat([request(3, "a", []), request(4, "b", [java.int(5)])]) },
    { name: "dubbojs-heartbeat.request", bytes: HeartBeat.encode(), mutation: "ignored" },
    { name: "service-not-found.response", bytes: errorResponse(), mutation: "ignored" },
  ];
}
