import { kafkaDriver } from "../traffic/kafka-driver.ts";
import type { SimulatorProtocol } from "./simulator-protocol.ts";

/** Kafka: kafkajs against real Apache Kafka brokers (KRaft, from Maven Central jars). */
export const kafka: SimulatorProtocol = {
  name: "kafka",
  driver: kafkaDriver,
  // Aeraki's `tcp-kafka`: one port per broker, see kafkaBrokerPorts.
  portName: () => "tcp-kafka-broker-1",
  requirements: () => [{ binary: "java", install: "apt-get install -y default-jre-headless" }],
};
