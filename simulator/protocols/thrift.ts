import { DEFAULTS } from "../scenario/types.ts";
import { thriftDriver } from "../traffic/thrift-driver.ts";
import { identityArgs, type SimulatorProtocol } from "./simulator-protocol.ts";

/** Thrift: the npm `thrift` client against the Hello sample service, in any transport and protocol. */
export const thrift: SimulatorProtocol = {
  name: "thrift",
  driver: thriftDriver,
  fixture: (service, version, instance, port) => ({
    runtime: "node",
    script: "fixtures/thrift/server.ts",
    args: [...identityArgs(service, version, instance, port), "--transport", service.transport ?? "framed", "--protocol", service.protocolVariant ?? "binary"],
  }),
  scenario: {
    options: ["transport", "protocolVariant"],
    defaults: (s) => ({ transport: s.transport ?? DEFAULTS.thrift.transport, protocolVariant: s.protocolVariant ?? DEFAULTS.thrift.protocolVariant }),
  },
};
