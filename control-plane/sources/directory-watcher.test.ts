import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../server.ts";
import type { ReloadResult } from "./directory-watcher.ts";

const base = readFileSync(fileURLToPath(new URL("../testdata/thrift-hello.yaml", import.meta.url)), "utf8");
const [serviceEntry, destinationRule, appProtocol, router] = base.split("\n---\n") as [string, string, string, string];

let cp: ControlPlane | undefined;
let dir: string | undefined;
afterEach(async () => {
  await cp?.close();
  cp = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("directory watcher", () => {
  it("applies edits, additions and deletions without a restart; an invalid edit changes nothing", async () => {
    dir = mkdtempSync(join(tmpdir(), "meshsim-watch-"));
    writeFileSync(join(dir, "service.yaml"), [serviceEntry, destinationRule, appProtocol].join("\n---\n"));
    writeFileSync(join(dir, "router.yaml"), router);
    const reloads: ReloadResult[] = [];
    cp = await startControlPlane({ watch: dir, onReload: (r) => reloads.push(r) });
    const first = cp.status().version;
    expect(cp.store.get("MetaRouter", "meta-thrift", "hello")).toBeDefined();

    writeFileSync(join(dir, "router.yaml"), router.replace("weight: 80", "weight: 60").replace("weight: 20", "weight: 40"));
    const edited = await until(() => reloads.find((r) => r.applied.length > 0));
    expect(edited.applied).toEqual(["MetaRouter/meta-thrift/hello"]);
    await until(() => (cp!.status().version !== first && !cp!.status().pending ? true : undefined));

    writeFileSync(join(dir, "router.yaml"), router.replace("weight: 80", "weight: 10"));
    const rejected = await until(() => reloads.find((r) => r.problems.length > 0));
    expect(rejected.problems[0]).toMatchObject({ file: join(dir, "router.yaml"), message: "weights must sum to 100 when there is more than one destination, found 30" });
    const spec = cp.store.get("MetaRouter", "meta-thrift", "hello")!.spec as { routes: Array<{ route: Array<{ weight?: number }> }> };
    expect(spec.routes[1]!.route.map((d) => d.weight)).toEqual([60, 40]);

    unlinkSync(join(dir, "router.yaml"));
    const removed = await until(() => reloads.find((r) => r.deleted.length > 0));
    expect(removed.deleted).toEqual(["MetaRouter/meta-thrift/hello"]);
    expect(cp.store.get("MetaRouter", "meta-thrift", "hello")).toBeUndefined();
  });
});

describe("debounce", () => {
  it("turns a burst of changes into one version", async () => {
    // A quiet period far longer than the gaps between changes, so a loaded machine that stretches
    // a 5 ms gap to a few hundred ms still sees one burst.
    cp = await startControlPlane({ debounceMs: 1000, maxDebounceMs: 10_000 });
    const before = Number(cp.status().version);
    const { parseResources } = await import("../resources/index.ts");
    for (let i = 0; i < 10; i++) {
      cp.store.apply(parseResources(serviceEntry.replace("thrift-hello\n", `thrift-hello-${i}\n`), `se-${i}.yaml`).resources);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(cp.status().pending).toBe(true);
    const version = await cp.settled();
    expect(Number(version)).toBe(before + 1);
  });
});
