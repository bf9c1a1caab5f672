/**
 * The protocols the simulator can run. Adding one: a file in this folder that exports a
 * SimulatorProtocol, and a line here.
 */
import { MeshsimError } from "../../common/errors.ts";
import { dubbo } from "./dubbo.ts";
import { kafka } from "./kafka.ts";
import { lpx } from "./lpx.ts";
import { redis } from "./redis.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";
import { thrift } from "./thrift.ts";

const PROTOCOLS: ReadonlyMap<string, SimulatorProtocol> = new Map([thrift, dubbo, redis, kafka, lpx].map((p) => [p.name, p]));

/** Every protocol name a scenario may use, in registration order. */
export const PROTOCOL_NAMES: readonly string[] = [...PROTOCOLS.keys()];

/** The protocol named `name`, or undefined: for checks that report unknown names themselves. */
export function findSimulatorProtocol(name: string): SimulatorProtocol | undefined {
  return PROTOCOLS.get(name);
}

export function simulatorProtocol(name: string): SimulatorProtocol {
  const protocol = PROTOCOLS.get(name);
  if (!protocol) throw new MeshsimError("INVALID_INPUT", `unknown protocol "${name}" (known: ${PROTOCOL_NAMES.join(", ")})`);
  return protocol;
}
