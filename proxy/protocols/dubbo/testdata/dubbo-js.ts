/**
 * apache-dubbo-js's own encoder and js-to-java's typed values, typed for the tests and samples
 * that build Dubbo bytes the way the real client does.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const Context = require("apache-dubbo-js/es7/context.js").default as { create(): Record<string, unknown> };
export const DubboEncoder = require("apache-dubbo-js/es7/encode.js").default as new (ctx: unknown) => { encode(): Buffer };
export const HeartBeat = require("apache-dubbo-js/es7/heartbeat.js").default as { encode(): Buffer };

type JavaValue = (...a: unknown[]) => unknown;
interface JsToJava {
  String: JavaValue;
  int: JavaValue;
  long: JavaValue;
  double: JavaValue;
  Boolean: JavaValue;
  array: JavaValue;
  Map: JavaValue;
  List: JavaValue;
  float: JavaValue;
  short: JavaValue;
  byte: JavaValue;
  combine(cls: string, v: unknown): unknown;
}
export const java = require("js-to-java") as JsToJava;
