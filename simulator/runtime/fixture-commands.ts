import type { ServiceSpec } from "../topology/topology.ts";
import { nodeScript } from "./node-command.ts";
import { MeshsimError } from "../../common/errors.ts";
import { existsSync } from "node:fs";
import { JAVA_BUILD_COMMAND, JAVA_JAR } from "../../fixtures/dubbo/java-peer.ts";
import { simulatorProtocol } from "../protocols/registry.ts";

/**
 * The sample service that plays each protocol, started once per instance on `port` (0: any free
 * port; a restart passes the port the instance had, so the ServiceEntry stays valid).
 */
export function fixtureCommand(service: ServiceSpec, version: string, instance: string, port = 0): { command: string; args: string[]; readyTimeoutMs?: number } {
  if (playedByJava(service)) {
    if (!existsSync(JAVA_JAR)) throw new MeshsimError("ENVIRONMENT", `service ${service.name}: the Java Dubbo provider is not built; run ${JAVA_BUILD_COMMAND} (or npx meshsim doctor --fix)`);
    // A JVM with Dubbo takes seconds to start, more on a busy machine.
    return { command: "java", args: javaProviderArgs(JAVA_JAR, service, version, instance, port), readyTimeoutMs: 60_000 };
  }
  const { script, args } = fixtureScript(service, version, instance, port);
  return nodeScript(script, args);
}

/** Whether the Java reference provider plays the service's instances (`dubbo: {provider: java}`). */
export function playedByJava(service: ServiceSpec): boolean {
  return service.protocol === "dubbo" && service.dubbo?.provider === "java";
}

/** The JVM's arguments for the Java Dubbo provider in `jar` (on the host, or in the Java image). */
export function javaProviderArgs(jar: string, service: ServiceSpec, version: string, instance: string, port: number): string[] {
  // A short-lived JVM: C1 only starts faster and is fast enough for scenario traffic.
  return ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-jar", jar, "provider", "--service", service.name, "--version", version, "--instance", instance, "--port", String(port)];
}

/** The fixture's entry point and arguments, for a process or a container (simulator/protocols/<name>.ts says which). */
export function fixtureScript(service: ServiceSpec, version: string, instance: string, port: number): { script: string; args: string[] } {
  const fixture = simulatorProtocol(service.protocol).fixture;
  if (!fixture) throw new MeshsimError("ENVIRONMENT", `no fixture service for protocol "${service.protocol}" yet`);
  return fixture(service, version, instance, port);
}
