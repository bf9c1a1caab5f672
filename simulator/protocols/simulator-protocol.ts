/**
 * What the simulator needs to know about one protocol, in one place: how clients call it, which
 * sample service plays it, how its port is named (Aeraki picks the proxy's handling from that
 * name), what the machine must have, and which codec a sidecar loads for it. Each protocol is one
 * file in this folder, listed in `registry.ts`.
 */
import type { ServiceSpec } from "../topology/topology.ts";
import type { ProtocolDriver } from "../traffic/protocol-driver.ts";

/** An executable a protocol's sample services need, with the command that installs it. */
export interface Requirement {
  binary: string;
  install: string;
}

export interface SimulatorProtocol {
  /** The name scenarios use (`protocol: thrift`) and the MetaProtocol application protocol. */
  readonly name: string;
  /** The client that drives traffic: the protocol's real client library where one exists. */
  readonly driver: ProtocolDriver;
  /**
   * The Node.js sample service of one instance, as an entry point (relative to the project root)
   * and its arguments. Absent: the protocol's instances are started elsewhere (redis-server, Kafka).
   */
  fixture?(service: ServiceSpec, version: string, instance: string, port: number): { script: string; args: string[] };
  /** The ServiceEntry port name; default `tcp-metaprotocol-<name>-<service>`. */
  portName?(service: ServiceSpec): string;
  /** Executables its sample services run. */
  readonly requirements?: readonly Requirement[];
  /** Calls carry request headers (traffic `keys:` are sent as one). */
  readonly keyed?: boolean;
  /**
   * A codec the sidecar does not have built in: a module (relative to the project root) whose
   * `codec` (or default) export is the factory, loaded by `meshsim proxy --codec <name>=<module>`.
   */
  readonly codecModule?: string;
}

/** Aeraki's convention: the application protocol is the second part of a MetaProtocol port name. */
export function metaProtocolPortName(protocol: string, service: ServiceSpec): string {
  return `tcp-metaprotocol-${protocol}-${service.name}`;
}
