/**
 * A directory of resource files kept in sync with the store: every change to a *.yaml / *.yml
 * file in it (edit, add, delete) reloads the directory, validates it together with the rest
 * of the store, and applies the difference — changed resources are replaced, resources gone
 * from the files are deleted. An invalid edit changes nothing; its problems are reported and
 * the previous resources stay in force until the files are fixed.
 */
import { watch, type FSWatcher } from "node:fs";
import type { InputProblem } from "../../common/errors.ts";
import { InvalidInputError } from "../../common/errors.ts";
import type { Resource } from "../resources/kinds.ts";
import { loadResourceFiles } from "../resources/parse.ts";
import { resourceKey } from "../resources/resource.ts";
import { validateResources } from "../resources/validate.ts";
import type { MemoryStore } from "./memory-store.ts";

export interface ReloadResult {
  applied: string[];
  deleted: string[];
  problems: InputProblem[];
}

export interface DirectoryWatcher {
  /** Reloads now (also what a file change triggers after the debounce). */
  reload(): ReloadResult;
  close(): void;
}

export interface WatchOptions {
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
  onReload?: (result: ReloadResult) => void;
}

function fingerprint(r: Resource): string {
  return JSON.stringify([r.apiVersion, r.metadata, r.spec]);
}

/** Loads `dir` into the store (throws InvalidInputError when it is invalid), then watches it. */
export function watchDirectory(store: MemoryStore, dir: string, options: WatchOptions = {}): DirectoryWatcher {
  let owned = new Set<string>();
  const reload = (): ReloadResult => {
    const { resources, problems } = loadResourceFiles([dir]);
    if (problems.length === 0) {
      const others = store.list().filter((r) => !owned.has(resourceKey(r)));
      const keys = new Set(resources.map(resourceKey));
      problems.push(...validateResources([...others.filter((r) => !keys.has(resourceKey(r))), ...resources]).filter((p) => resources.some((r) => r.source.file === p.file)));
    }
    if (problems.length > 0) return { applied: [], deleted: [], problems };
    const changed = resources.filter((r) => {
      const current = store.get(r.kind, r.metadata.namespace, r.metadata.name);
      return !current || fingerprint(current) !== fingerprint(r);
    });
    const next = new Set(resources.map(resourceKey));
    const deleted = [...owned].filter((k) => !next.has(k));
    const applied = changed.length > 0 ? store.apply(changed) : [];
    for (const key of deleted) {
      const [kind, namespace, name] = key.split("/") as [string, string, string];
      store.delete(kind, namespace, name);
    }
    owned = next;
    return { applied, deleted, problems: [] };
  };

  const initial = reload();
  if (initial.problems.length > 0) throw new InvalidInputError(initial.problems);

  const debounceMs = options.debounceMs ?? 50;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined = watch(dir, (_event, file) => {
    if (file && !/\.ya?ml$/.test(file)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      options.onReload?.(reload());
    }, debounceMs);
  });
  watcher.on("error", () => undefined);
  return {
    reload,
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
