import { MeshsimError } from "../../common/errors.ts";
import type { ProtocolDriver } from "./protocol-driver.ts";
import { thriftDriver } from "./thrift-driver.ts";
import { dubboDriver } from "./dubbo-driver.ts";
import { kafkaDriver } from "./kafka-driver.ts";
import { redisDriver } from "./redis-driver.ts";

const DRIVERS: Record<string, ProtocolDriver> = { thrift: thriftDriver, dubbo: dubboDriver, kafka: kafkaDriver, redis: redisDriver };

export function driverFor(protocol: string): ProtocolDriver {
  const driver = DRIVERS[protocol];
  if (!driver) throw new MeshsimError("ENVIRONMENT", `no traffic driver for protocol "${protocol}" yet`);
  return driver;
}
