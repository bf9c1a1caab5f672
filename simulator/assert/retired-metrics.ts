/**
 * Counter names the proxy no longer keeps, with what counts the same thing now. A metric
 * expectation on one of them matches no counter and fails; this names the replacement in its
 * message, so that an old scenario fails clearly rather than by a bare "no counter matches".
 */
const RETIRED: ReadonlyArray<[RegExp, string]> = [
  // Redis faults count under the fault names and scope of every protocol.
  [/^redis\.(.+)\.fault_error_injected$/, "listener.$1.fault.aborts_injected"],
  [/^redis\.(.+)\.fault_delay_injected$/, "listener.$1.fault.delays_injected"],
  [/^listener\.(.+)\.fault_delays_injected$/, "listener.$1.fault.delays_injected"],
  // Redis mirror copies count on the mirror's cluster only, as every protocol's do.
  [/^redis\.(.+)\.(mirror_rq_(?:total|sent|completed|failed))$/, "cluster.<mirror cluster>.$2"],
];

/** The name that replaced a retired counter name, or undefined. */
export function replacementOf(name: string): string | undefined {
  for (const [re, replacement] of RETIRED) if (re.test(name)) return name.replace(re, replacement);
  return undefined;
}
