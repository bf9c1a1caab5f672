import { kafkaDriver } from "../traffic/kafka-driver.ts";
import { kafkaDeployment } from "./kafka/deployment.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Kafka: kafkajs against real Apache Kafka brokers (KRaft, from Maven Central jars). */
export const kafka: SimulatorProtocol = {
  name: "kafka",
  driver: kafkaDriver,
  // Aeraki's `tcp-kafka`: one port per broker, see kafkaBrokerPorts (kafka/brokers.ts).
  portName: () => "tcp-kafka-broker-1",
  requirements: () => [{ binary: "java", install: "apt-get install -y default-jre-headless" }],
  deployment: kafkaDeployment,
  scenario: {
    options: ["kafka"],
    defaults: (s) => ({ kafka: { brokers: s.kafka?.brokers ?? 1 } }),
    check(s, problem) {
      if (Object.keys(s.versions ?? { v1: {} }).length > 1) problem("versions", "a kafka service has one version: its brokers are one cluster, not versions");
    },
    serviceMetrics: "Kafka brokers do not report their own request counts yet; read a sidecar counter instead",
    faultRefusal: (kind) =>
      kind === "network"
        ? "network faults into Kafka brokers are not supported yet (clients dial the addresses Metadata names); use fault policies or kill and restart"
        : `${kind} is not supported for Kafka brokers yet (kill and restart are)`,
  },
};
