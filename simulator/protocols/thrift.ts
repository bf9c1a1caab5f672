import { thriftDriver } from "../traffic/thrift-driver.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Thrift: the npm `thrift` client against the Hello sample service, in any transport and protocol. */
export const thrift: SimulatorProtocol = {
  name: "thrift",
  driver: thriftDriver,
  fixture: (service, version, instance, port) => ({
    script: "fixtures/thrift/server.ts",
    args: [
      "--service",
      service.name,
      "--version",
      version,
      "--instance",
      instance,
      "--port",
      String(port),
      "--transport",
      service.transport ?? "framed",
      "--protocol",
      service.wireProtocol ?? "binary",
    ],
  }),
};
