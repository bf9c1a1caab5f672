import type { ServiceSpec } from "../topology/topology.ts";
import { nodeScript } from "./node-command.ts";
import { MeshsimError } from "../../common/errors.ts";

/**
 * The sample service that plays each protocol, started once per instance on `port` (0: any free
 * port; a restart passes the port the instance had, so the ServiceEntry stays valid).
 */
export function fixtureCommand(service: ServiceSpec, version: string, instance: string, port = 0): { command: string; args: string[] } {
  const { script, args } = fixtureScript(service, version, instance, port);
  return nodeScript(script, args);
}

/** The fixture's entry point and arguments, for a process or a container. */
export function fixtureScript(service: ServiceSpec, version: string, instance: string, port: number): { script: "fixtures/thrift/server.ts" | "fixtures/dubbo/server.ts"; args: string[] } {
  switch (service.protocol) {
    case "thrift":
      return { script: "fixtures/thrift/server.ts", args: [
        "--service", service.name,
        "--version", version,
        "--instance", instance,
        "--port", String(port),
        "--transport", service.transport ?? "framed",
        "--protocol", service.wireProtocol ?? "binary",
      ] };
    case "dubbo": return { script: "fixtures/dubbo/server.ts", args: ["--service", service.name, "--version", version, "--instance", instance, "--port", String(port)] };
    default:
      throw new MeshsimError("ENVIRONMENT", `no fixture service for protocol "${service.protocol}" yet`);
  }
}
