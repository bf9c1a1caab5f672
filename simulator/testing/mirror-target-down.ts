/**
 * For tests: a copy of a mirror scenario, cut after step `last`, that first resets every
 * connection into the mirror target `target` — so the copies cannot arrive while the primary
 * traffic is untouched. The file lives in `dir` (the caller removes it).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";

export async function withMirrorTargetDown(dir: string, file: string, target: string, last: string): Promise<string> {
  const doc = parse(await readFile(file, "utf8")) as { steps: Array<Record<string, unknown>> };
  doc.steps = doc.steps.slice(0, doc.steps.findIndex((s) => s.name === last) + 1);
  doc.steps.unshift({ name: "mirror target down", fault: { network: { link: { to: target }, reset: { probability: 1 } } } });
  const out = join(dir, file.replaceAll("/", "-"));
  await writeFile(out, stringify(doc));
  return out;
}
