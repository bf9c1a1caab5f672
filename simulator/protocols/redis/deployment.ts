/**
 * Redis services are played by real redis-server processes: `single` (one server), `replicated`
 * (a primary and a replica) or `cluster` (3 masters) per version, on this machine; in containers,
 * one server per instance (`single` only). Instances are named `<service>-<version>-<n>`.
 */
import { redisDestinationFor, startRedisService, type RedisServiceDeployment } from "../../../fixtures/redis/service.ts";
import { commandCalls } from "../../../fixtures/redis/redis-server.ts";
import { instanceName, serviceHost } from "../../topology/names.ts";
import type { ServiceSpec } from "../../topology/topology.ts";
import type { Deployment, ProcessDeployment } from "../deployment.ts";

/** How many redis-server processes play each version of a Redis service (fixtures/redis/service.ts). */
export function redisServers(s: ServiceSpec): number {
  return { single: 1, replicated: 2, cluster: 3 }[s.redis?.mode ?? "single"];
}

export const redisDeployment: Deployment = {
  instances: (service) => Object.keys(service.versions).flatMap((version) => Array.from({ length: redisServers(service) }, (_, k) => ({ version, instance: instanceName(service.name, version, k) }))),
  resources(service) {
    // The RedisDestination, where cluster mode or a password needs one.
    const destination = redisDestinationFor(service, serviceHost(service));
    return destination ? [destination] : [];
  },
  startProcesses: async (service): Promise<ProcessDeployment> => {
    // Real redis-server processes, started and stopped by the fixture (by PID). Every version
    // settles before a failure propagates, so none that did start is left running.
    const versions = Object.keys(service.versions);
    const started = await Promise.allSettled(versions.map((version) => startRedisService(service, version)));
    const groups = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const stop = async () => void (await Promise.all(groups.map((g) => g.stop())));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await stop();
      throw failed.reason;
    }
    return {
      instances: groups.flatMap((g: RedisServiceDeployment, k) => g.instances.map((i) => ({ version: versions[k]!, instance: i.instance, host: "127.0.0.1", port: i.port }))),
      stop,
      // Cluster-mode proxies learn node addresses from CLUSTER SLOTS, around any fault proxy.
      faultProxyRefusal: (instance) =>
        service.redis?.mode === "cluster" ? `network faults into ${instance}: not supported for Redis cluster mode (the proxy dials the addresses CLUSTER SLOTS names)` : undefined,
    };
  },
  containerRefusal: (service) =>
    (service.redis?.mode ?? "single") !== "single"
      ? `service ${service.name}: Redis ${service.redis?.mode} deployments do not run in containers yet (single does); use --backend processes`
      : undefined,
  containerPart(service) {
    const password = service.redis?.password;
    return {
      image: "runtime",
      entrypoint: ["redis-server"],
      command: ["--port", String(service.port), "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", ...(password !== undefined ? ["--requirepass", password] : [])],
      ready: /Ready to accept connections/,
    };
  },
  // redis-server counts the commands it ran (INFO commandstats).
  async instanceStats(service, address) {
    const password = service.redis?.password;
    const calls = await commandCalls(address, password !== undefined ? ["AUTH", password] : undefined);
    return Object.fromEntries(Object.entries(calls).map(([name, n]) => [`received.${name}`, n]));
  },
};
