import type { ProtocolDriver } from "./protocol-driver.ts";
import { simulatorProtocol } from "../protocols/registry.ts";

/** The traffic driver of a protocol, from its entry in simulator/protocols/. */
export function driverFor(protocol: string): ProtocolDriver {
  return simulatorProtocol(protocol).driver;
}
