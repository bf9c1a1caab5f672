import { redisDriver } from "../traffic/redis-driver.ts";
import { redisDeployment } from "./redis/deployment.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Redis: ioredis against real redis-server processes (single, replicated or cluster). */
export const redis: SimulatorProtocol = {
  name: "redis",
  driver: redisDriver,
  // Envoy's redis_proxy handling, chosen by the `tcp-redis` port name (not a MetaProtocol).
  portName: () => "tcp-redis",
  requirements: () => [{ binary: "redis-server", install: "apt-get install -y redis-server" }],
  deployment: redisDeployment,
  scenario: {
    options: ["redis"],
    defaults: (s) => ({ redis: { mode: s.redis?.mode ?? "single", ...(s.redis?.password !== undefined && { password: s.redis.password }) } }),
  },
};
