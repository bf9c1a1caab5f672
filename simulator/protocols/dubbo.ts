import { dubboDriver } from "../traffic/dubbo-driver.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Dubbo: apache-dubbo-js against the Hessian2 sample provider; attachments carry traffic keys. */
export const dubbo: SimulatorProtocol = {
  name: "dubbo",
  driver: dubboDriver,
  keyed: true,
  fixture: (service, version, instance, port) => ({
    script: "fixtures/dubbo/server.ts",
    args: ["--service", service.name, "--version", version, "--instance", instance, "--port", String(port)],
  }),
};
