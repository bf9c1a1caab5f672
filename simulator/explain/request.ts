/**
 * `meshsim explain` request options → the metadata the protocol's codec would decode. The keys
 * are the codecs' own: Thrift `method`, `service` and THeader headers; Dubbo `interface`,
 * `method`, `version` and attachments; Redis `command` and `key`; Kafka `api_name`, `topic`,
 * `client_id`. `--header k=v` (or `--attachment k=v`) sets any other key.
 */
import { MeshsimError } from "../../common/errors.ts";
import type { ExplainRequest } from "./explain.ts";

/** Option → metadata key, for the options that name one key. */
export const REQUEST_OPTIONS: Record<string, { key: string; help: string }> = {
  method: { key: "method", help: "Thrift or Dubbo method (metadata key method)" },
  service: { key: "service", help: "Thrift multiplexed service name (service)" },
  interface: { key: "interface", help: "Dubbo interface (interface)" },
  version: { key: "version", help: "Dubbo service version (version)" },
  key: { key: "key", help: "Redis key (key)" },
  command: { key: "command", help: "Redis command (command)" },
  topic: { key: "topic", help: "Kafka topic (topic)" },
  api: { key: "api_name", help: "Kafka API, e.g. Produce (api_name)" },
  "client-id": { key: "client_id", help: "Kafka client id (client_id)" },
};

/** `values`: option name → the values given (repeatable options keep every one). */
export function requestFromOptions(values: Record<string, string[]>): ExplainRequest {
  const host = values.host?.at(-1);
  if (!host) throw new MeshsimError("INVALID_INPUT", "explain: name the request's host with --host (e.g. hello.default.svc.cluster.local)");
  // Any codec a listener may speak (thrift, dubbo, redis, kafka, or one a user added); explain
  // checks it against the listener.
  const protocol = values.protocol?.at(-1);
  let port: number | undefined;
  const portText = values.port?.at(-1);
  if (portText !== undefined) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MeshsimError("INVALID_INPUT", `explain: --port must be a port number, found "${portText}"`);
  }
  const metadata: Record<string, string> = {};
  for (const [option, { key }] of Object.entries(REQUEST_OPTIONS)) {
    const v = values[option]?.at(-1);
    if (v !== undefined) metadata[key] = v;
  }
  for (const pair of [...(values.header ?? []), ...(values.attachment ?? [])]) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new MeshsimError("INVALID_INPUT", `explain: --header and --attachment take key=value, found "${pair}"`);
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { host, metadata, ...(protocol !== undefined && { protocol }), ...(port !== undefined && { port }) };
}
