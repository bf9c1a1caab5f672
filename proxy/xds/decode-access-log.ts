/**
 * `access_log` of a MetaProtocol or Redis listener's proxy filter: Envoy's AccessLog list, as
 * Aeraki sets it on its MetaProtocolProxy (`envoy.access_loggers.file` with a path, or
 * `envoy.access_loggers.stdout`). meshsim writes its own JSON fields (proxy/access-log), so a
 * `log_format` or a `filter` is refused by name rather than ignored.
 */
import type { AccessLogConfig } from "../config/types.ts";
import { STDOUT_PATH } from "../access-log/access-log-files.ts";

// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped; each field read is checked where it is used
type Obj = Record<string, any>;

export const FILE_ACCESS_LOG_TYPE = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog";
export const STDOUT_ACCESS_LOG_TYPE = "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog";

/** The listener's access log, or undefined when the filter sets none. */
export function decodeAccessLog(list: unknown, where: string): AccessLogConfig | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new Error(`${where}.access_log: must be a list of access loggers`);
  if (list.length === 0) return undefined;
  if (list.length > 1) throw new Error(`${where}.access_log: only one access logger per listener is supported, got ${list.length}`);
  const log = list[0] as Obj;
  const w = `${where}.access_log[0]`;
  if (log.filter !== undefined) throw new Error(`${w}.filter: access log filters are not supported (every request is logged)`);
  const config = (log.typed_config ?? {}) as Obj;
  const type = config["@type"];
  if (type === STDOUT_ACCESS_LOG_TYPE || (type === undefined && log.name === "envoy.access_loggers.stdout")) return { path: STDOUT_PATH };
  if (type !== FILE_ACCESS_LOG_TYPE) throw new Error(`${w}.typed_config: unsupported access logger ${JSON.stringify(type ?? log.name)} (supported: FileAccessLog, StdoutAccessLog)`);
  if (config.log_format !== undefined || config.json_format !== undefined || config.format !== undefined) {
    throw new Error(`${w}.typed_config: a log format is not supported; meshsim writes one JSON object per request with its own fields (docs/observability.md)`);
  }
  const path = config.path;
  if (typeof path !== "string" || path === "") throw new Error(`${w}.typed_config.path: must be a non-empty path`);
  return { path };
}
