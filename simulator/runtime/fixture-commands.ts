import type { ServiceSpec } from "../topology/topology.ts";
import { nodeScript } from "./node-command.ts";
import { MeshsimError } from "../../common/errors.ts";

/**
 * The sample service that plays each protocol, started once per instance on `port` (0: any free
 * port; a restart passes the port the instance had, so the ServiceEntry stays valid).
 */
export function fixtureCommand(service: ServiceSpec, version: string, instance: string, port = 0): { command: string; args: string[] } {
  switch (service.protocol) {
    case "thrift":
      return nodeScript("fixtures/thrift/server.ts", [
        "--service", service.name,
        "--version", version,
        "--instance", instance,
        "--port", String(port),
        "--transport", service.transport ?? "framed",
        "--protocol", service.wireProtocol ?? "binary",
      ]);
    case "dubbo": return nodeScript("fixtures/dubbo/server.ts", ["--service", service.name, "--version", version, "--instance", instance, "--port", String(port)]);
    default:
      throw new MeshsimError("ENVIRONMENT", `no fixture service for protocol "${service.protocol}" yet`);
  }
}
