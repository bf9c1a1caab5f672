/** The control plane's supported programmatic surface. */
export { startControlPlane, type ControlPlane, type ControlPlaneOptions, type ControlPlaneStatus } from "./server.ts";
export { MemoryStore, type StoreChange } from "./sources/memory-store.ts";
export { loadFilesIntoStore } from "./sources/file-source.ts";
export { watchDirectory, type DirectoryWatcher, type ReloadResult } from "./sources/directory-watcher.ts";
export { loadResourceFiles, parseResources, parseResourceDocument, validateResources, resourceKey, type Resource } from "./resources/index.ts";
export { translate } from "./translate/index.ts";
export { allAcked, type XdsStatus, type ProxyStatus, type TypeStatus } from "./xds/xds-status.ts";
