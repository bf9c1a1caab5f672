import { redisDriver } from "../traffic/redis-driver.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Redis: ioredis against real redis-server processes (single, replicated or cluster). */
export const redis: SimulatorProtocol = {
  name: "redis",
  driver: redisDriver,
  // Envoy's redis_proxy handling, chosen by the `tcp-redis` port name (not a MetaProtocol).
  portName: () => "tcp-redis",
  requirements: () => [{ binary: "redis-server", install: "apt-get install -y redis-server" }],
};
