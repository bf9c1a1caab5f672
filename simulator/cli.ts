/**
 * The `meshsim` command. A thin shell over the programmatic API: it parses argv, calls the API,
 * prints, and maps outcomes to exit codes — 0 passed, 1 an expectation failed, 2 invalid input
 * or an environment that could not be brought up.
 */
import { existsSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError, MeshsimError } from "../common/errors.ts";
import { parseCommandArgs } from "../common/command-args.ts";
import { parseDataPlane, runCommand, upCommand } from "./cli-run.ts";
import { validateFiles } from "./validate-files.ts";
import { runDoctor } from "./doctor.ts";

const USAGE = `usage: meshsim <command> [options]

commands:
  run <files|dirs...>        run scenarios; reports go to reports/<scenario>-<time>/
      --out <dir>            reports folder (default: reports)
      --tag <tag>            only scenarios with this tag (repeatable, or a,b)
      --var <name=value>     set a template variable, overriding vars: (repeatable)
      --reporter <name>      console, json, junit, html, or a reporter module ./my-reporter.js
                             (repeatable, or a,b; default all built-ins)
      --bail                 stop after the first failing scenario
      --quiet                print only the summaries
      --no-fail-fast         let traffic run on after an expectation can no longer hold
                             (default: the step stops at once, and the scenario with it)
      --backend <name>       processes (default) or containers; also MESHSIM_BACKEND or topology.backend
      --data-plane <name>    sidecars: meshsim (default), envoy, or both (each scenario on each,
                             compared); also topology.dataPlane and clients[].dataPlane
  up <scenario> [--var k=v] [--backend <name>] [--apply] [--data-plane meshsim|envoy] [--prometheus]
                             bring the topology up with the scenario's resources, print every
                             address, run until Ctrl-C; --apply also applies what its steps
                             apply and delete, in order (the output lists those steps either way);
                             --prometheus also starts Prometheus scraping every sidecar
  validate <files|dirs...>   check scenario and resource YAML without running anything
      --data-plane envoy     also report what Envoy's filters cannot express
  explain [files|dirs...] --host <host> [--method m] [--header k=v] ...
                             which route a request takes and why, the subsets, endpoints and
                             policies it meets, each with file:line; also --control-plane <addr>
                             or --sidecar <admin addr>; --json
  doctor [--fix] [--prometheus]
                             check (and install) what scenarios need on this machine;
                             --prometheus also what meshsim up --prometheus needs
  images build [--base IMG]  build the container images (--backend containers, docker-compose.yml)
  compose <scenario> [--out DIR] [--data-plane meshsim|envoy]
                             write a compose project (docker-compose.yml, resources.yaml) for the
                             scenario's topology, to bring up by hand with podman-compose
  control-plane [files...]   run the control plane (--xds-port, --http-port)
  proxy --bootstrap <file>   run a sidecar proxy (--bootstrap-json <json>; --codec name=module,…;
                             --concurrency N: N worker processes share its listeners)
  codec-test <module|name>   run the codec conformance suite on a codec module, or on a built-in
                             codec by name: thrift, dubbo, redis, kafka (--runs, --seed, --json)
`;

/** A command's lines of USAGE: its own line and the indented lines under it. */
export function commandUsage(command: string): string | undefined {
  const lines = USAGE.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`  ${command} `) || l === `  ${command}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^ {2}\S/.test(l));
  return `usage: meshsim ${lines
    .slice(start, end < 0 ? undefined : end)
    .map((l) => l.slice(2))
    .join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Every command answers --help without doing anything else (explain prints its own, longer one).
  const help = command !== "explain" && command !== undefined && (rest.includes("--help") || rest.includes("-h")) ? commandUsage(command) : undefined;
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  try {
    switch (command) {
      case "run":
        return await runCommand(rest, expandYamlArgs);
      case "up":
        return await upCommand(rest);
      case "validate":
        return await validateCommand(rest);
      case "explain":
        return await (await import("./explain/explain-command.ts")).explainCommand(rest, expandYamlArgs);
      case "compose":
        return await (await import("./runtime/containers/compose-command.ts")).composeCommand(rest);
      case "images":
        return await (await import("./runtime/containers/images-command.ts")).imagesCommand(rest);
      case "doctor": {
        const { values } = parseCommandArgs("doctor", rest, { fix: { type: "boolean" }, prometheus: { type: "boolean" } });
        return await runDoctor(values.fix === true, values.prometheus === true ? ["prometheus"] : []);
      }
      case "control-plane": {
        const { runControlPlaneProcess } = await import("../control-plane/main.ts");
        await runControlPlaneProcess(rest);
        return await new Promise<number>(() => undefined); // runs until stdin closes or a signal
      }
      case "codec-test":
        return await (await import("../proxy/codec/codec-test.ts")).codecTestCommand(rest);
      case "proxy": {
        const { runProxyProcess } = await import("../proxy/main.ts");
        await runProxyProcess(rest);
        return await new Promise<number>(() => undefined);
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`meshsim: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    return reportFailure(err);
  }
}

function reportFailure(err: unknown): number {
  if (err instanceof InvalidInputError) {
    process.stderr.write(`${err.message}\n${err.problems.length} problem(s) found\n`);
    return 2;
  }
  if (err instanceof MeshsimError) {
    process.stderr.write(`meshsim: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`meshsim: ${(err as Error)?.stack ?? String(err)}\n`);
  return 2;
}

/** Files and directories (recursively) to their .yaml/.yml files. */
export function expandYamlArgs(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new MeshsimError("INVALID_INPUT", `${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      out.push(
        ...expandYamlArgs(
          readdirSync(p)
            .sort()
            .map((f) => join(p, f))
            .filter((f) => statSync(f).isDirectory() || /\.ya?ml$/.test(f)),
        ),
      );
    } else out.push(p);
  }
  return out;
}

async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("validate", args, { "data-plane": { type: "string" } });
  const files = expandYamlArgs(positionals);
  if (files.length === 0) throw new MeshsimError("INVALID_INPUT", "validate: name at least one file or folder");
  const dataPlane = parseDataPlane(values["data-plane"]);
  if (dataPlane === "both") throw new MeshsimError("INVALID_INPUT", "validate: --data-plane takes meshsim or envoy");
  const problems = await validateFiles(files, dataPlane !== undefined ? { dataPlane } : {});
  if (problems.length > 0) throw new InvalidInputError(problems);
  process.stdout.write(`${files.length} file(s) valid\n`);
  return 0;
}
