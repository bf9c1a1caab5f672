import { existsSync } from "node:fs";
import { JAVA_BUILD_COMMAND, JAVA_JAR, javaPeersOutdated } from "../../fixtures/dubbo/java-peer.ts";
import { dubboDriver } from "../traffic/dubbo-driver.ts";
import { identityArgs, type JavaJar, type Requirement, type SimulatorProtocol } from "./simulator-protocol.ts";

/** The Java reference peers (Apache Dubbo 3.2); the provider plays `dubbo: {provider: java}` services. */
const JAVA_PEERS: JavaJar = {
  name: "the Java Dubbo peers (Apache Dubbo 3.2)",
  path: JAVA_JAR,
  command: JAVA_BUILD_COMMAND,
  inImage: "/opt/meshsim/dubbo/meshsim-dubbo.jar",
  status: () => (!existsSync(JAVA_JAR) ? "missing" : javaPeersOutdated() ? "outdated" : "built"),
};

const JAVA: Requirement = { binary: "java", install: "apt-get install -y default-jre-headless", neededBy: "the Java Dubbo provider" };

/** Dubbo: apache-dubbo-js against the Hessian2 sample provider (meshsim's, or the Java reference one); attachments carry traffic keys. */
export const dubbo: SimulatorProtocol = {
  name: "dubbo",
  driver: dubboDriver,
  keyed: true,
  fixture: (service, version, instance, port) =>
    service.dubbo?.provider === "java"
      ? {
          runtime: "java",
          jar: JAVA_PEERS,
          // A short-lived JVM: C1 only starts faster and is fast enough for scenario traffic.
          jvmOptions: ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx256m"],
          args: ["provider", ...identityArgs(service, version, instance, port)],
          // A JVM with Dubbo takes seconds to start, more on a busy machine.
          readyTimeoutMs: 60_000,
        }
      : { runtime: "node", script: "fixtures/dubbo/server.ts", args: identityArgs(service, version, instance, port) },
  requirements: (service) => (service.dubbo?.provider === "java" ? [JAVA, JAVA_PEERS] : []),
  builds: [JAVA_PEERS],
  scenario: {
    options: ["dubbo"],
    defaults: (s) => (s.dubbo?.provider !== undefined ? { dubbo: { provider: s.dubbo.provider } } : {}),
  },
};
