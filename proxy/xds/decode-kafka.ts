/**
 * The Kafka part of a MetaProtocol listener whose application protocol is "kafka": meshsim's
 * `kafka.broker_address_rewrite` rules in the filter's TypedStruct (control-plane/translate/kafka.ts)
 * → ListenerConfig.kafkaBrokerAddresses, "broker host:port" → the address clients are sent to.
 *
 * A rule names the listener it points at; when this proxy binds that listener somewhere else (the
 * bootstrap's `redirects`, how the simulator runs sidecars as local processes), clients are told
 * the address it is really bound to, since that is the one they can dial — or the redirect's
 * `advertise` address, when they reach the listener through a port an engine publishes.
 */
import type { ListenerConfig, ListenerRedirect } from "../config/types.ts";

// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped; each field read is checked where it is used
type Obj = Record<string, any>;

export function decodeKafkaListenerConfig(config: Obj, out: ListenerConfig, redirects: Readonly<Record<string, ListenerRedirect>> = {}): void {
  if (out.codec !== "kafka" || config.kafka === undefined || config.kafka === null) return;
  const where = `listener ${out.name}: kafka`;
  const rules = (config.kafka as Obj).broker_address_rewrite;
  if (rules === undefined || rules === null) return;
  if (!Array.isArray(rules)) throw new Error(`${where}.broker_address_rewrite: must be a list`);
  const map: Record<string, { host: string; port: number }> = {};
  rules.forEach((r: Obj, i) => {
    const w = `${where}.broker_address_rewrite[${i}]`;
    if (typeof r.address !== "string" || !/^.+:\d+$/.test(r.address)) throw new Error(`${w}: address must be "host:port", got ${JSON.stringify(r.address)}`);
    const redirect = typeof r.listener === "string" ? redirects[r.listener] : undefined;
    if (redirect) {
      map[r.address] = redirect.advertise ?? { host: redirect.host, port: redirect.port };
      return;
    }
    if (typeof r.host !== "string" || r.host === "") throw new Error(`${w}: host is missing`);
    const port = Number(r.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${w}: port must be 1..65535, got ${JSON.stringify(r.port)}`);
    map[r.address] = { host: r.host, port };
  });
  out.kafkaBrokerAddresses = map;
}
