/** Loads resource files and directories into a store, all or nothing. */
import { InvalidInputError } from "../../common/errors.ts";
import { loadResourceFiles } from "../resources/parse.ts";
import type { MemoryStore } from "./memory-store.ts";

/** Throws InvalidInputError listing every problem; the store is untouched then. Returns the keys applied. */
export function loadFilesIntoStore(store: MemoryStore, paths: readonly string[]): string[] {
  const { resources, problems } = loadResourceFiles(paths);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return store.apply(resources);
}
