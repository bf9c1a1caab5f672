/**
 * A Kafka service in containers: one Apache Kafka node (KRaft, broker + controller) in the Java
 * image, its alias the broker's instance name (`kafka-broker-1`). It listens on the service's
 * port on every address of its namespace and advertises `<alias>:<port>` — the address the
 * generated ServiceEntry names — so the sidecar's broker address rewrite recognises what the
 * broker's Metadata answers say, and a client inside the run's network could dial it as well.
 */
import { Wait } from "testcontainers";
import { MeshsimError } from "../../../common/errors.ts";
import { javaArgs, newClusterId, serverProperties } from "../../../fixtures/kafka/broker.ts";
import { kafkaApiVersionsProbe } from "../../../fixtures/kafka/probe.ts";
import type { ServiceSpec } from "../../topology/topology.ts";
import { KAFKA_IN_JVM_IMAGE } from "./images.ts";
import type { MeshsimContainer } from "./meshsim-container.ts";

/** The controller listener stays inside the broker's own namespace (a single-node quorum). */
const CONTROLLER_PORT = 19093;

/** Makes `c` (a container of the Java image) the single broker `instance` of `service`. */
export function asKafkaBroker(c: MeshsimContainer, service: ServiceSpec, instance: string): MeshsimContainer {
  const node = { nodeId: 1, host: instance, port: service.port, controllerPort: service.port === CONTROLLER_PORT ? CONTROLLER_PORT + 1 : CONTROLLER_PORT, pid: undefined };
  const properties = serverProperties(node, `1@127.0.0.1:${node.controllerPort}`, "/var/lib/kafka", 1, {}, "0.0.0.0");
  return c
    .withEntrypoint(["sh", KAFKA_IN_JVM_IMAGE.start])
    .withCommand(javaArgs("256m", KAFKA_IN_JVM_IMAGE))
    .withEnvironment({ KAFKA_PROPERTIES: properties, KAFKA_CLUSTER_ID: newClusterId() })
    // The broker's log goes nowhere (its jars bring no SLF4J binding): its port tells it started, waitForBroker that it serves.
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(120_000);
}

/** Resolves once the broker answers Metadata through its published port (it has joined its quorum). */
export async function waitForBroker(instance: string, host: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await kafkaApiVersionsProbe(host, port, 2000).catch(() => 0)) < 1) {
    if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `Kafka broker ${instance} does not answer Metadata on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
