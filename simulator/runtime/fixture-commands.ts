import type { ServiceSpec } from "../topology/topology.ts";
import { nodeScript } from "./node-command.ts";
import { MeshsimError } from "../../common/errors.ts";

/** The sample service that plays each protocol, started once per instance on port 0. */
export function fixtureCommand(service: ServiceSpec, version: string, instance: string): { command: string; args: string[] } {
  switch (service.protocol) {
    case "thrift":
      return nodeScript("fixtures/thrift/server.ts", [
        "--service", service.name,
        "--version", version,
        "--instance", instance,
        "--port", "0",
        "--transport", service.transport ?? "framed",
        "--protocol", service.wireProtocol ?? "binary",
      ]);
    default:
      throw new MeshsimError("ENVIRONMENT", `no fixture service for protocol "${service.protocol}" yet`);
  }
}
