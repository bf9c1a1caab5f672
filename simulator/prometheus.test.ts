/**
 * `meshsim up --prometheus`: a real Prometheus scrapes the sidecar, and its HTTP API answers with
 * the labelled request counter for the calls a real Thrift client made. Runs where Debian's
 * prometheus package is installed (`meshsim doctor --fix --prometheus`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createHelloClient } from "../fixtures/thrift/hello-client.ts";
import { onPath } from "./runtime/environment.ts";
import { prometheusConfig } from "./runtime/prometheus.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const CALLS = 25;

async function outputUntil(child: ChildProcess, marker: string): Promise<string> {
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 45_000;
  while (!out.includes(marker) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(out).toContain(marker);
  return out;
}

/** The value of an instant query's only sample, or undefined while it has none. */
async function query(prometheus: string, promql: string): Promise<number | undefined> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  expect(body.status).toBe("success");
  const first = body.data.result[0];
  return first === undefined ? undefined : Number(first.value[1]);
}

describe("meshsim up --prometheus", () => {
  it("writes one scrape target per sidecar, labelled with its client", () => {
    expect(prometheusConfig([{ client: "caller", adminPort: 15000 }])).toContain(
      `metrics_path: /stats/prometheus\n    static_configs:\n      - targets: ["127.0.0.1:15000"]\n        labels: {sidecar: "caller"}\n`,
    );
  });

  // Skipped on a laptop without Prometheus; under CI (.ci/run installs it) a missing one fails.
  it.skipIf(onPath("prometheus") === undefined && process.env.CI !== "true")(
    "Prometheus scrapes the sidecar: the labelled counter counts the calls by destination version",
    async () => {
      const up = spawn(process.execPath, ["bin/meshsim.mjs", "up", "--apply", "--prometheus", "scenarios/thrift/version-routing.yaml"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
      try {
        const out = await outputUntil(up, "press Ctrl-C");
        const prometheus = /^prometheus {6}(http:\/\/127\.0\.0\.1:\d+) /m.exec(out)![1]!;
        const [, host, port] = /^ {2}caller → hello {2}(127\.0\.0\.1):(\d+)$/m.exec(out)!;
        const client = createHelloClient({ host: host!, port: Number(port) });
        for (let i = 0; i < CALLS; i++) expect((await client.sayHello(`c${i}`)).identity.version).toBe("v2");
        await client.close();
        const promql = `sum(istio_requests_total{sidecar="caller",source_workload="caller",destination_service="hello.default.svc.cluster.local",destination_workload="hello-v2",destination_version="v2",request_protocol="thrift",request_method="sayHello",outcome="ok"})`;
        // Scraped every second: poll until the sample reflects every call.
        let seen: number | undefined;
        const deadline = Date.now() + 15_000;
        while ((seen = await query(prometheus, promql)) !== CALLS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
        expect(seen).toBe(CALLS);
        expect(await query(prometheus, `sum(istio_requests_total{sidecar="caller",destination_version="v1"})`)).toBeUndefined();
      } finally {
        up.kill("SIGINT");
      }
      expect(await exited).toBe(0);
    },
    90_000,
  );
});
