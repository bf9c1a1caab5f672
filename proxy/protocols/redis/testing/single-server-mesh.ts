import { afterAll, beforeAll } from "vitest";
import { startRedis, type RedisProcess } from "../../../../fixtures/redis/redis-server.ts";
import { OneAtATime } from "./one-at-a-time.ts";
import { startRedisMesh, type RedisMesh } from "./redis-mesh.ts";

/**
 * For a test file: one real redis-server behind a proxy with a catch-all route, started before
 * the file's tests and stopped after them, with the one-at-a-time connections they opened.
 */
export function useSingleServerMesh(): { port(): number; connection(): Promise<OneAtATime> } {
  let server: RedisProcess | undefined;
  let mesh: RedisMesh | undefined;
  const open: OneAtATime[] = [];
  beforeAll(async () => {
    server = await startRedis();
    mesh = await startRedisMesh([{ name: "single", endpoints: [{ host: server.host, port: server.port }] }], { catchAll: { cluster: "single", mirrors: [] } });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await mesh?.close();
    await server?.stop();
  });
  return {
    port: () => mesh!.port,
    async connection() {
      const c = await OneAtATime.open(mesh!.port);
      open.push(c);
      return c;
    },
  };
}
