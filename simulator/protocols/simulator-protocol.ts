/**
 * What the simulator needs to know about one protocol, in one place: how clients call it, which
 * sample service plays it, how its port is named (Aeraki picks the proxy's handling from that
 * name), what the machine must have, which codec a sidecar loads for it, and — for protocols
 * played by real servers — how its services are deployed and what scenarios may set for them.
 * Each protocol is one file in this folder, listed in `registry.ts`.
 */
import type { ServiceSpec } from "../topology/topology.ts";
import type { ProtocolDriver } from "../traffic/protocol-driver.ts";
import type { Deployment } from "./deployment.ts";
import type { ScenarioRules } from "./scenario-rules.ts";

/** An executable a protocol's sample services need, with the command that installs it. */
export interface Requirement {
  binary: string;
  install: string;
  /** What needs it, for the message (default: the protocol's services). */
  neededBy?: string;
}

/**
 * Something built from this checkout that a sample service runs (a Java peer's jar): `meshsim
 * doctor` checks it and `--fix` runs `command` from the project folder.
 */
export interface BuildStep {
  /** What doctor calls it. */
  readonly name: string;
  /** The built file (absolute path). */
  readonly path: string;
  /** The command that builds it, run from the project folder. */
  readonly command: string;
  /** built; missing; or outdated (older than its sources). */
  status(): "built" | "missing" | "outdated";
}

/**
 * A jar a Java sample service runs with `java -jar`: its manifest's Class-Path names the
 * libraries in the `lib/` folder beside it, so the jar and that folder are its whole classpath.
 */
export interface JavaJar extends BuildStep {
  /** Where meshsim's Java image carries the jar (with its `lib/` beside it). */
  readonly inImage: string;
}

/**
 * The program of one sample-service instance. Whatever it is, it prints meshsim's ready line
 * (`{"ready":true,"port":…}`, optionally with `statsPort`) on stdout once it serves: the process
 * backend reads the port from it, the container backend waits for it.
 */
export type InstanceProgram = NodeProgram | JavaProgram;

/** One of meshsim's TypeScript entry points, run by Node.js (the runtime image in containers). */
export interface NodeProgram {
  readonly runtime: "node";
  /** The entry point, relative to the project root. */
  readonly script: string;
  readonly args: readonly string[];
}

/** A JVM program, run by `java` (meshsim's Java image in containers). */
export interface JavaProgram {
  readonly runtime: "java";
  readonly jar: JavaJar;
  /** Options for the JVM, before `-jar`. */
  readonly jvmOptions: readonly string[];
  /** The program's own arguments, after the jar. */
  readonly args: readonly string[];
  /** How long its ready line may take: a JVM starts slower than Node.js. */
  readonly readyTimeoutMs: number;
}

export interface SimulatorProtocol {
  /** The name scenarios use (`protocol: thrift`) and the MetaProtocol application protocol. */
  readonly name: string;
  /** The client that drives traffic: the protocol's real client library where one exists. */
  readonly driver: ProtocolDriver;
  /**
   * The sample service of one instance, listening on `port` (0: any free port). Absent: the
   * protocol's `deployment` starts its instances (redis-server, Kafka).
   */
  fixture?(service: ServiceSpec, version: string, instance: string, port: number): InstanceProgram;
  /** The ServiceEntry port name; default `tcp-metaprotocol-<name>-<service>`. */
  portName?(service: ServiceSpec): string;
  /** What the service's instances run: executables to install, things to build from this checkout. */
  requirements?(service: ServiceSpec): ReadonlyArray<Requirement | BuildStep>;
  /** What its sample services run that is built from this checkout (checked by `meshsim doctor`). */
  readonly builds?: readonly BuildStep[];
  /** Calls carry request headers (traffic `keys:` are sent as one). */
  readonly keyed?: boolean;
  /**
   * A codec the sidecar does not have built in: a module (relative to the project root) whose
   * `codec` (or default) export is the factory, loaded by `meshsim proxy --codec <name>=<module>`.
   */
  readonly codecModule?: string;
  /** How its services are deployed when that is not one fixture program per replica (deployment.ts). */
  readonly deployment?: Deployment;
  /** The service fields it owns in scenarios, their defaults and its own checks (scenario-rules.ts). */
  readonly scenario?: ScenarioRules;
}

/** Aeraki's convention: the application protocol is the second part of a MetaProtocol port name. */
export function metaProtocolPortName(protocol: string, service: ServiceSpec): string {
  return `tcp-metaprotocol-${protocol}-${service.name}`;
}

/** The usual arguments of meshsim's sample services: who they are and where they listen. */
export function identityArgs(service: ServiceSpec, version: string, instance: string, port: number): string[] {
  return ["--service", service.name, "--version", version, "--instance", instance, "--port", String(port)];
}
