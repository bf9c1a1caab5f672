export { createRedisCodec } from "./codec.ts";
