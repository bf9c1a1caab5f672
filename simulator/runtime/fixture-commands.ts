import { MeshsimError } from "../../common/errors.ts";
import { simulatorProtocol } from "../protocols/registry.ts";
import type { InstanceProgram, JavaProgram } from "../protocols/simulator-protocol.ts";
import type { ServiceSpec } from "../topology/topology.ts";
import { nodeScript } from "./node-command.ts";

/**
 * The program of one instance, as its protocol's plug-in (simulator/protocols/<name>.ts) says,
 * listening on `port` (0: any free port; a restart passes the port the instance had, so the
 * ServiceEntry stays valid).
 */
export function instanceProgram(service: ServiceSpec, version: string, instance: string, port: number): InstanceProgram {
  const fixture = simulatorProtocol(service.protocol).fixture;
  if (!fixture) throw new MeshsimError("ENVIRONMENT", `no fixture service for protocol "${service.protocol}" yet`);
  return fixture(service, version, instance, port);
}

/** How the process backend runs a program on this machine. */
export function processCommand(program: InstanceProgram): { command: string; args: string[]; readyTimeoutMs?: number } {
  if (program.runtime === "node") return nodeScript(program.script, [...program.args]);
  const { jar } = program;
  if (jar.status() === "missing") throw new MeshsimError("ENVIRONMENT", `${jar.path} is not built; run ${jar.command} (or npx meshsim doctor --fix)`);
  return { command: "java", args: javaProgramArgs(program, jar.path), readyTimeoutMs: program.readyTimeoutMs };
}

/** The JVM's arguments for a Java program whose jar is at `jar` (on the host, or in the Java image). */
export function javaProgramArgs(program: JavaProgram, jar: string): string[] {
  return [...program.jvmOptions, "-jar", jar, ...program.args];
}
