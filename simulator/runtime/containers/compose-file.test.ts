/** What `meshsim compose` writes for a topology, without an engine (compose.test.ts brings one up). */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadScenario } from "../../scenario/loader.ts";
import { toTopologySpec } from "../../scenario-topology.ts";
import { composeProject } from "./compose-file.ts";

type ComposeService = { image: string; command: string[]; environment?: Record<string, string> };

async function project(file: string, dataPlane?: "envoy") {
  const scenario = await loadScenario(file);
  const files = composeProject(scenario, toTopologySpec(scenario, dataPlane), new Set());
  return parse(files["docker-compose.yml"]!) as { services: Record<string, ComposeService> };
}

describe("meshsim compose", () => {
  it("runs a Kafka broker from the Java image advertising its service name, and tells Kafka clients the sidecar's", async () => {
    const { services } = await project("scenarios/kafka/produce.yaml");
    expect(Object.keys(services).sort()).toEqual(["control-plane", "kafka-broker-1", "sidecar-producer"]);
    expect(services["kafka-broker-1"]!.image).toBe("localhost/meshsim/jvm:latest");
    expect(services["kafka-broker-1"]!.environment!.KAFKA_PROPERTIES).toContain("advertised.listeners=PLAINTEXT://kafka-broker-1:9092");
    const bootstrap = JSON.parse(services["sidecar-producer"]!.command.at(-1)!) as { redirects: Record<string, { advertise: unknown }> };
    expect(bootstrap.redirects["kafka.default.svc.cluster.local_9092"]!.advertise).toEqual({ host: "sidecar-producer", port: 15001 });
  });

  it("plays a Dubbo service with the Java provider, and an Envoy sidecar from the Envoy image", async () => {
    expect((await project("scenarios/dubbo/java-provider.yaml")).services["hello-v1-0"]!.image).toBe("localhost/meshsim/jvm:latest");
    expect((await project("scenarios/thrift/traffic-split.yaml", "envoy")).services["sidecar-caller"]!.image).toBe("localhost/meshsim/envoy:latest");
  });

  it("refuses what does not run in containers, as the container backend does", async () => {
    const scenario = await loadScenario("scenarios/redis/cluster.yaml");
    expect(() => composeProject(scenario, toTopologySpec(scenario), new Set())).toThrow(/Redis cluster deployments do not run in containers yet .* use --backend processes/);
  });
});
