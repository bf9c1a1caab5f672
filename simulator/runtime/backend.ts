/**
 * The one interface between the runner and whatever runs a topology: local processes (the
 * default) or containers. The runner talks to nothing else; each backend decides how a part is
 * started, addressed, faulted and stopped.
 */
import { MeshsimError } from "../../common/errors.ts";
import type { StatsSnapshot } from "./sidecar-stats.ts";
import type { DataPlane, LinkSpec, NetworkFault } from "../scenario/types.ts";
import type { InstanceAddress, TopologySpec } from "../topology/topology.ts";
import type { ControlPlaneClient } from "./control-plane-client.ts";

export const BACKEND_NAMES = ["processes", "containers"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SidecarInfo {
  client: string;
  /** Which proxy plays this sidecar: meshsim's or real Envoy. */
  dataPlane: DataPlane;
  nodeId: string;
  /** The sidecar's admin port as the simulator reaches it, on 127.0.0.1. */
  adminPort: number;
  /** Service name → the address the client dials (the sidecar's listener, as the simulator reaches it). */
  outbound: Map<string, { host: string; port: number }>;
  /** The file the sidecar's access log goes to (meshsim's proxy in process mode). */
  accessLogPath?: string;
}

export interface RunningTopology {
  backend: BackendName;
  /** The label every container and network of this run carries (containers only). */
  runLabel?: string;
  controlPlane: ControlPlaneClient;
  /** The control plane's xDS port as the simulator reaches it, on 127.0.0.1. */
  controlPlaneXdsPort: number;
  /**
   * Every instance: where its server listens (`host`/`port`, as the simulator reaches it) and the
   * port its ServiceEntry endpoint names (`advertisedPort`: a fault proxy's, when one fronts it).
   */
  instances: Array<InstanceAddress & { advertisedPort: number }>;
  sidecars: Map<string, SidecarInfo>;
  /** Resources that describe the topology (ServiceEntry, default DestinationRules). */
  generatedResources: Array<Record<string, unknown>>;
  /** Where `client` sends traffic for `service`: its sidecar if it has one, else the first instance. */
  addressFor(client: string, service: string): { host: string; port: number };
  proxyIds(): string[];
  /** Stops an instance: SIGTERM lets it shut down, SIGKILL is a crash. */
  kill(instance: string, signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts an instance again at the address it had (stopping it first if it runs). */
  restart(instance: string): Promise<void>;
  /** Freezes an instance (it keeps its connections but answers nothing) until `unpause`. */
  pause(instance: string): Promise<void>;
  unpause(instance: string): Promise<void>;
  /** The instance's own counters (`received.<method or command>`), read from the fixture or server itself. */
  readInstanceStats(instance: string): Promise<Record<string, number>>;
  /** Resolves once the instance accepts TCP connections. */
  waitForInstance(instance: string, timeoutMs: number): Promise<void>;
  /** Switches the fault on a link declared in `UpOptions.faultLinks` (null: clean). */
  setNetworkFault(link: LinkSpec, fault: NetworkFault | null): Promise<void>;
  /** The last lines a part (instance, `control-plane`, `sidecar-<client>`) wrote. */
  logs(part: string): Promise<string>;
  /** A sidecar's counters from its admin endpoint, whichever proxy it is. */
  sidecarStats(client: string): Promise<StatsSnapshot>;
  /**
   * Every access log line a sidecar wrote so far (after asking it to flush), one JSON text each;
   * a string says why this sidecar has none to read (not applicable).
   */
  sidecarAccessLog(client: string): Promise<string[] | { notApplicable: string }>;
  /** Stops and removes everything this topology started. */
  down(): Promise<void>;
}

export interface UpOptions {
  logDir?: string;
  /** Hosts for which the scenario brings its own DestinationRule. */
  ownDestinationRules?: ReadonlySet<string>;
  /** Links the scenario puts network faults on; only these are prepared for faults. */
  faultLinks?: ReadonlyArray<LinkSpec>;
  /** The scenario brings its own Telemetry: no default access logging. */
  ownTelemetry?: boolean;
}

/**
 * The hops a link's faults apply to: `upstream:<instance>` for each instance of an upstream link,
 * `client:<client>` for the client → sidecar hop. A backend prepares these before the run (a
 * fault proxy in process mode, NET_ADMIN in containers) and nothing else.
 */
export function faultLinkKeys(link: LinkSpec): string[] {
  return link.kind === "client" ? [`client:${link.client}`] : link.instances.map((i) => `upstream:${i}`);
}

export interface Backend {
  readonly name: BackendName;
  /** Brings the topology up; on failure, everything already started is stopped before the error propagates. */
  up(spec: TopologySpec, options: UpOptions): Promise<RunningTopology>;
}

/**
 * The backend a run uses: the command line's `--backend`, else `MESHSIM_BACKEND`, else the
 * scenario's `topology.backend`, else processes. The environment outranks the scenario so that
 * CI can move a whole suite to containers without editing files.
 */
export function chooseBackend(fromFlag: string | undefined, fromScenario: BackendName | undefined, env = process.env): BackendName {
  const fromEnv = env.MESHSIM_BACKEND || undefined;
  for (const [value, source] of [
    [fromFlag, "--backend"],
    [fromEnv, "MESHSIM_BACKEND"],
  ] as const) {
    if (value !== undefined && !isBackendName(value)) throw new MeshsimError("INVALID_INPUT", `${source} ${value}: unknown backend (backends: ${BACKEND_NAMES.join(", ")})`);
  }
  return (fromFlag as BackendName | undefined) ?? (fromEnv as BackendName | undefined) ?? fromScenario ?? "processes";
}

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/** The backend by name; the container backend (and testcontainers) is loaded only when asked for. */
export async function backendNamed(name: BackendName): Promise<Backend> {
  if (name === "containers") return (await import("./container-backend.ts")).containerBackend;
  return (await import("./process-backend.ts")).processBackend;
}
