/**
 * A sidecar's access log lines, read where the backend keeps them. meshsim's proxy is asked to
 * flush first (its admin `/flush_access_logs`), so every request it answered is in the file.
 */
import { readFile } from "node:fs/promises";
import type { SidecarInfo } from "./backend.ts";

/** `<logs>/sidecar-<client>.access.log`, beside the sidecar's output `sidecar-<client>.log`. */
export const ACCESS_LOG_SUFFIX = ".access.log";
/** `<logs>/sidecar-<client>.traces.jsonl`: the sidecar's spans, OTLP/HTTP JSON, one request body per line. */
export const TRACES_SUFFIX = ".traces.jsonl";
/** Spans also go to this OTLP/HTTP collector endpoint (e.g. http://127.0.0.1:4318/v1/traces) when set. */
export const OTLP_ENDPOINT_ENV = "MESHSIM_OTLP_ENDPOINT";

/** Why an Envoy sidecar has no access log to count. */
export const ENVOY_ACCESS_LOG_NOT_APPLICABLE =
  "Envoy sidecars get no access log here: Envoy's dubbo_proxy and redis_proxy have no access_log field, and meshsim translates Telemetry for its own proxy only";

export async function readSidecarAccessLog(sidecar: SidecarInfo): Promise<string[] | { notApplicable: string }> {
  if (sidecar.dataPlane === "envoy") return { notApplicable: ENVOY_ACCESS_LOG_NOT_APPLICABLE };
  if (sidecar.accessLogPath === undefined) return { notApplicable: "this backend does not collect sidecar access logs yet (run with --backend processes)" };
  const res = await fetch(`http://127.0.0.1:${sidecar.adminPort}/flush_access_logs`, { method: "POST" });
  if (!res.ok) throw new Error(`sidecar ${sidecar.client}: flushing its access log failed: HTTP ${res.status}`);
  let text: string;
  try {
    text = await readFile(sidecar.accessLogPath, "utf8");
  } catch (err) {
    // No request yet, no file yet.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text.split("\n").filter((l) => l !== "");
}
