/**
 * How a protocol's services are deployed, for protocols whose instances are not one sample-service
 * program per replica (`SimulatorProtocol.fixture`): real servers started their own way (a
 * redis-server group, a Kafka cluster), instances named after something else than replicas,
 * services the mesh reaches through more than one port. Every hook is optional; an absent hook
 * means what every protocol does. The runtime, the topology and the scenario normalizer call these
 * hooks and know no protocol by name.
 */
import type { InstanceAddress, ServiceSpec } from "../topology/topology.ts";

/** One instance a service has: its version label and its name (what scenarios kill and restart). */
export interface InstanceSlot {
  version: string;
  instance: string;
}

/** One container of a topology: its image, entrypoint, arguments, environment and how it says it is up. */
export interface PartCommand {
  image: "runtime" | "jvm" | "envoy";
  /** Absent: the image's own (node for the runtime image, java for the Java image). */
  entrypoint?: string[];
  command: string[];
  environment?: Record<string, string>;
  /**
   * How the part says it is up: a line in its log, or `ports` — it listens (the Kafka broker,
   * whose jars bring no logging binding). Absent: meshsim's ready line.
   */
  ready?: RegExp | "ports";
  /** How long it may take to be up (default testcontainers' 60 s). */
  readyTimeoutMs?: number;
}

/** A service's instances started as local processes by its protocol's hook, on 127.0.0.1. */
export interface ProcessDeployment {
  /** Every instance, once it serves; `port` is where it listens. */
  readonly instances: ReadonlyArray<InstanceSlot & { host: string; port: number }>;
  /** Stops every instance (by PID); called once, when the topology goes down or fails to come up. */
  stop(): Promise<void>;
  /** Why a TCP fault proxy may not stand in front of `instance` (the scenario declared faults on it); undefined: it may. */
  faultProxyRefusal?(instance: string): string | undefined;
  /** Stops one instance. Absent: the runtime's process supervisor stops it. */
  kill?(instance: string, signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts a killed instance again where it was; resolves once it serves. Absent: the supervisor restarts it. */
  restart?(instance: string): Promise<void>;
}

export interface ProcessDeploymentOptions {
  /** Where the run keeps its logs, when it keeps them. */
  logDir?: string;
}

export interface Deployment {
  /**
   * The service's instances, in the same order on every backend and in scenario validation.
   * Default: `<service>-<version>-<index>`, one per replica of each version.
   */
  instances?(service: ServiceSpec): InstanceSlot[];
  /**
   * The outbound listener names a sidecar binds for the service, the one clients dial first.
   * Default: one, `<host>_<port>`.
   */
  listeners?(service: ServiceSpec): string[];
  /**
   * The generated ServiceEntry for the service, given the instances running (none yet when a
   * scenario is validated). Default: one port, one endpoint per instance.
   */
  serviceEntry?(service: ServiceSpec, instances: ReadonlyArray<InstanceAddress>): Record<string, unknown>;
  /** Resources the control plane needs for the service beyond its ServiceEntry and DestinationRule. */
  resources?(service: ServiceSpec): Array<Record<string, unknown>>;
  /**
   * Starts every instance of the service as local processes (the process backend). Absent: each
   * instance runs the protocol's fixture program under the runtime's supervisor. On failure it
   * stops whatever it started before rejecting.
   */
  startProcesses?(service: ServiceSpec, options: ProcessDeploymentOptions): Promise<ProcessDeployment>;
  /** What no container can run yet for this service, refused before anything starts; undefined: it runs. */
  containerRefusal?(service: ServiceSpec): string | undefined;
  /** The container of one instance, listening on the service's port. Absent: the fixture program's. */
  containerPart?(service: ServiceSpec, version: string, instance: string): PartCommand;
  /** Resolves once an instance's container serves, after its ready signal, through its published `port`. */
  containerReady?(instance: string, host: string, port: number): Promise<void>;
  /**
   * What an instance counted itself, read at `address` (both backends). Absent: the fixture's
   * stats port, named in its ready line.
   */
  instanceStats?(service: ServiceSpec, address: { host: string; port: number }): Promise<Record<string, number>>;
}
