/**
 * Kafka services are played by real Apache Kafka brokers (KRaft, one JVM each): a cluster of
 * `kafka.brokers` on this machine, or one broker per container. Their instances are the brokers,
 * each with a port, a ServiceEntry port and a sidecar listener of its own (brokers.ts).
 */
import { javaArgs, newClusterId, serverProperties, startKafkaCluster } from "../../../fixtures/kafka/broker.ts";
import type { ServiceSpec } from "../../topology/topology.ts";
import type { Deployment, PartCommand, ProcessDeployment } from "../deployment.ts";
import { kafkaBrokerInstance, kafkaBrokerPorts, kafkaServiceEntryFor, kafkaVersion } from "./brokers.ts";
import { waitForBroker } from "./wait-for-broker.ts";

/** Where images/jvm/Containerfile puts the Kafka broker's jars and its start script. */
const KAFKA_IN_JVM_IMAGE = { lib: "/opt/meshsim/kafka/lib", log4j: "/opt/meshsim/kafka/log4j2.properties", start: "/opt/meshsim/kafka/start.sh" };

/** A Kafka broker's controller listener stays inside its own namespace (a single-node quorum). */
const KAFKA_CONTROLLER_PORT = 19093;

export const kafkaDeployment: Deployment = {
  instances: (service) => kafkaBrokerPorts(service).map((p) => ({ version: kafkaVersion(service), instance: kafkaBrokerInstance(service.name, p.nodeId) })),
  listeners: (service) => kafkaBrokerPorts(service).map((p) => p.listener),
  serviceEntry: kafkaServiceEntryFor,
  startProcesses: async (service, { logDir }): Promise<ProcessDeployment> => {
    // Started and stopped (by PID) by the fixture.
    const cluster = await startKafkaCluster({ brokers: service.kafka?.brokers ?? 1, heap: "256m", ...(logDir !== undefined && { logDir }) });
    const version = kafkaVersion(service);
    const nodeIds = new Map(cluster.nodes.map((n) => [kafkaBrokerInstance(service.name, n.nodeId), n.nodeId]));
    const nodeId = (instance: string) => nodeIds.get(instance)!;
    return {
      instances: cluster.nodes.map((n) => ({ version, instance: kafkaBrokerInstance(service.name, n.nodeId), host: n.host, port: n.port })),
      stop: () => cluster.stop(),
      faultProxyRefusal: (instance) => `network faults into ${instance}: not supported for Kafka brokers (clients dial the addresses Metadata names)`,
      kill: (instance, signal) => cluster.stopBroker(nodeId(instance), signal),
      // The broker comes back on its ports and data folder; resolves once it serves requests.
      restart: (instance) => cluster.restartBroker(nodeId(instance), "SIGKILL"),
    };
  },
  containerRefusal: (service) =>
    (service.kafka?.brokers ?? 1) > 1
      ? `service ${service.name}: Kafka services of ${service.kafka?.brokers} brokers do not run in containers yet (one broker does: its ServiceEntry names one host for every broker, and each broker has a container and an alias of its own); use --backend processes`
      : undefined,
  containerPart: (service, _version, instance) => kafkaBrokerPart(service, instance),
  // A broker is up once it has joined its quorum, which its listening port does not say.
  containerReady: (instance, host, port) => waitForBroker(instance, host, port),
};

/**
 * A Kafka service's one broker (KRaft, broker + controller), alias `instance`: it listens on the
 * service's port on every address and advertises `<instance>:<port>` — the address the generated
 * ServiceEntry names — so the sidecar's broker address rewrite recognises what its Metadata
 * answers say.
 */
function kafkaBrokerPart(service: ServiceSpec, instance: string): PartCommand {
  const controllerPort = service.port === KAFKA_CONTROLLER_PORT ? KAFKA_CONTROLLER_PORT + 1 : KAFKA_CONTROLLER_PORT;
  const node = { nodeId: 1, host: instance, port: service.port, controllerPort, pid: undefined };
  return {
    image: "jvm",
    entrypoint: ["sh", KAFKA_IN_JVM_IMAGE.start],
    command: javaArgs("256m", KAFKA_IN_JVM_IMAGE),
    environment: { KAFKA_PROPERTIES: serverProperties(node, `1@127.0.0.1:${controllerPort}`, "/var/lib/kafka", 1, {}, "0.0.0.0"), KAFKA_CLUSTER_ID: newClusterId() },
    ready: "ports",
  };
}
