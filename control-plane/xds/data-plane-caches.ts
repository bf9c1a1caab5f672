/**
 * One configuration, two data planes. meshsim's proxy gets Aeraki's MetaProtocol encoding (the
 * shared cache); a node that announces itself as Envoy gets Envoy-native listeners from
 * `translateForEnvoy`. Envoy nodes that bind their listeners alike share one cache; every cache
 * carries the same version for the same store content, so "acked" means the same everywhere.
 *
 * How a node announces itself: node metadata `MESHSIM_DATA_PLANE: envoy` (what meshsim's Envoy
 * bootstrap writes, with `MESHSIM_LISTENER_PORTS: {<listener name>: <port>}` where the listeners
 * bind, and `MESHSIM_LISTENER_HOST` on which address when not 127.0.0.1), or Envoy's own user
 * agent name `envoy`.
 */
import { fromStruct } from "../../common/envoy-protos.ts";
import type { Resource } from "../resources/kinds.ts";
import { translateForEnvoy, type EnvoyNodeOptions } from "../translate/envoy/index.ts";
import { SnapshotCache } from "./snapshot-cache.ts";
import type { RequestNode } from "./wire.ts";

export const DATA_PLANE_METADATA = "MESHSIM_DATA_PLANE";
export const LISTENER_PORTS_METADATA = "MESHSIM_LISTENER_PORTS";
export const LISTENER_HOST_METADATA = "MESHSIM_LISTENER_HOST";

/** The Envoy options a node asks for, or undefined for meshsim's proxy (and anything else). */
export function envoyOptionsOf(node: RequestNode | undefined): EnvoyNodeOptions | undefined {
  const metadata = node?.metadata ? fromStruct(node.metadata) : {};
  const isEnvoy = metadata[DATA_PLANE_METADATA] === "envoy" || node?.user_agent_name === "envoy";
  if (!isEnvoy) return undefined;
  const ports = metadata[LISTENER_PORTS_METADATA];
  if (!ports || typeof ports !== "object") return {};
  const listenerPorts: Record<string, number> = {};
  for (const [name, port] of Object.entries(ports as Record<string, unknown>)) if (typeof port === "number") listenerPorts[name] = port;
  const host = metadata[LISTENER_HOST_METADATA];
  return { listenerPorts, ...(typeof host === "string" && host !== "" && { listenerHost: host }) };
}

export class DataPlaneCaches {
  private readonly envoy = new Map<string, { cache: SnapshotCache; options: EnvoyNodeOptions }>();
  private resources: readonly Resource[] = [];

  constructor(readonly meshsim: SnapshotCache) {}

  /**
   * Builds every Envoy cache for `resources` at `version`. Called before the meshsim cache is set,
   * whose listeners push to every stream, Envoy's included.
   */
  publishEnvoy(resources: readonly Resource[], version: string): void {
    this.resources = resources;
    for (const entry of this.envoy.values()) this.fill(entry, version);
  }

  /** The cache whose snapshots `node` is served. */
  forNode(node: RequestNode | undefined): SnapshotCache {
    const options = envoyOptionsOf(node);
    if (!options) return this.meshsim;
    const key = JSON.stringify(options);
    let entry = this.envoy.get(key);
    if (!entry) {
      entry = { cache: new SnapshotCache(), options };
      this.envoy.set(key, entry);
      this.fill(entry, this.meshsim.current().version);
    }
    return entry.cache;
  }

  private fill(entry: { cache: SnapshotCache; options: EnvoyNodeOptions }, version: string): void {
    try {
      entry.cache.set(translateForEnvoy(this.resources, entry.options), version);
    } catch (err) {
      process.stderr.write(`meshsim control plane: Envoy translation failed, Envoy sidecars keep the previous version: ${(err as Error).message}\n`);
    }
  }
}
