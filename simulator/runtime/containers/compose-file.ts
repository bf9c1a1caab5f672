/**
 * A compose project for any scenario's topology (`meshsim compose`): the same parts the container
 * backend starts (parts.ts), for users who want to bring a topology up by hand with
 * `podman-compose` or `docker compose` and poke at it. What differs from the backend, and why:
 * - no pods: podman-compose 1.0.3 puts every service on its project network, so a service cannot
 *   join another's namespace. Each sidecar is a service of its own (`sidecar-<client>`), its
 *   listeners published on 127.0.0.1 (`podman port <project>_sidecar-<client>_1 15001`); a program
 *   on the project network dials `sidecar-<client>:15001`, and Kafka clients are told that name.
 * - no traffic: the scenario's drivers and checks are the simulator's (`meshsim run`).
 * - resources.yaml holds the topology's generated resources and the scenario's own `resources:`,
 *   not what its steps apply: those change the routes during a run.
 */
import { stringify } from "yaml";
import type { Scenario } from "../../scenario/types.ts";
import { listenerNames, serviceInstances, type InstanceAddress, type TopologySpec } from "../../topology/topology.ts";
import { topologyResources } from "../generated-resources.ts";
import { ENVOY_IMAGE_REPO, IMAGE_REPO, JVM_IMAGE_REPO } from "./images.ts";
import { controlPlanePart, envoySidecarPart, instancePart, meshsimSidecarPart, refuseUnsupportedParts, SIDECAR_ADMIN_PORT, sidecarListenerPorts, type PartCommand } from "./parts.ts";

const IMAGES: Record<PartCommand["image"], string> = { runtime: `${IMAGE_REPO}:latest`, jvm: `${JVM_IMAGE_REPO}:latest`, envoy: `${ENVOY_IMAGE_REPO}:latest` };
const RESOURCES_IN_CONTAINER = "/compose/resources.yaml";

/** File name → content: `docker-compose.yml` and `resources.yaml`. */
export function composeProject(scenario: Scenario, spec: TopologySpec, ownDestinationRules: ReadonlySet<string>): Record<string, string> {
  refuseUnsupportedParts(spec);
  const labels = ["dev.meshsim=true", `dev.meshsim.compose=${scenario.metadata.name}`];
  const service = (part: PartCommand, extra: Record<string, unknown> = {}) => ({
    image: IMAGES[part.image],
    labels,
    ...(part.entrypoint && { entrypoint: part.entrypoint }),
    command: part.command,
    ...(part.environment && { environment: part.environment }),
    ...extra,
  });

  const services: Record<string, unknown> = {
    "control-plane": service(controlPlanePart([RESOURCES_IN_CONTAINER]), { volumes: [`./resources.yaml:${RESOURCES_IN_CONTAINER}:ro`] }),
  };
  const endpoints: InstanceAddress[] = [];
  for (const s of spec.services) {
    for (const { version, instance } of serviceInstances(s)) {
      services[instance] = service(instancePart(s, version, instance));
      endpoints.push({ service: s.name, version, instance, host: instance, port: s.port });
    }
  }
  const listenerPorts = sidecarListenerPorts(spec.services.flatMap(listenerNames));
  const published = [SIDECAR_ADMIN_PORT, ...listenerPorts.values()].map((p) => `127.0.0.1::${p}`);
  for (const client of spec.clients.filter((c) => c.sidecar)) {
    const name = `sidecar-${client.name}`;
    const part = client.dataPlane === "envoy" ? envoySidecarPart(client.name, listenerPorts) : meshsimSidecarPart(client.name, listenerPorts, (port) => ({ host: name, port }));
    services[name] = service(part, { ports: published, depends_on: ["control-plane"] });
  }

  const resources = [...topologyResources(spec, endpoints, ownDestinationRules), ...scenario.resources.map((r) => r.object)];
  return {
    "docker-compose.yml": `${header(scenario)}${escapeInterpolation(stringify({ services, networks: { default: { labels } } }, { lineWidth: 0, aliasDuplicateObjects: false }))}`,
    "resources.yaml": `# What the control plane serves: the topology of ${scenario.file} (endpoints name the compose\n# services) and the scenario's own resources.\n${resources.map((r) => stringify(r, { lineWidth: 0 })).join("---\n")}`,
  };
}

function header(scenario: Scenario): string {
  return [
    `# The topology of ${scenario.file} (${scenario.metadata.name}), written by \`meshsim compose\`.`,
    "# The control plane serves resources.yaml; each sidecar publishes its admin (15000) and",
    "# listeners (15001, one per service in the order the scenario lists them) on 127.0.0.1.",
    "#",
    "#   npx meshsim images build",
    "#   podman-compose up -d        # or: docker compose up -d",
    "#   podman port <project>_sidecar-<client>_1 15001   # or: docker compose port sidecar-<client> 15001",
    "#   podman-compose down",
    "",
  ].join("\n");
}

/** Compose substitutes `$NAME` in every value; the commands carry none of their own, so a `$` stays a `$`. */
function escapeInterpolation(yaml: string): string {
  return yaml.replace(/\$/g, "$$$$");
}
