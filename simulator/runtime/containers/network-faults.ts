/**
 * A scenario's network fault as commands run inside an instance's container (which alone gets
 * NET_ADMIN), on the link into that instance — the link the process backend's fault proxy sits on:
 * - blackhole: iptables drops what reaches the instance's port (a partition; with a probability,
 *   that share of packets);
 * - reset: iptables answers what reaches the port with TCP resets (a share, with a probability);
 * - bandwidth: a tbf qdisc shapes what the instance sends;
 * - latency: a netem qdisc delays what the instance sends — when the kernel has sch_netem.
 * Slicing a byte stream needs a proxy in the stream: the process backend's fault proxy does it.
 */
import { MeshsimError } from "../../../common/errors.ts";
import type { NetworkFault } from "../../scenario/types.ts";

const DEVICE = "eth0";

/** Commands that remove any fault; each may fail harmlessly when nothing was set. */
export const CLEAR_COMMANDS: string[][] = [
  ["tc", "qdisc", "del", "dev", DEVICE, "root"],
  ["iptables", "-F", "INPUT"],
];

const PROXY_ONLY = "needs the TCP fault proxy: run this scenario with --backend processes";

/** Commands that set `fault` (after CLEAR_COMMANDS) on an instance listening on `port`. */
export function faultCommands(fault: NetworkFault, port: number): string[][] {
  if (fault.slice) throw new MeshsimError("INVALID_INPUT", `slice ${PROXY_ONLY}`);
  if (fault.latency && fault.latency.probability < 1) throw new MeshsimError("INVALID_INPUT", `latency on a share of connections ${PROXY_ONLY}`);
  if (fault.bandwidth && fault.bandwidth.probability < 1) throw new MeshsimError("INVALID_INPUT", `bandwidth on a share of connections ${PROXY_ONLY}`);
  if (fault.latency && fault.bandwidth) throw new MeshsimError("INVALID_INPUT", `latency and bandwidth together on one link ${PROXY_ONLY}`);
  const commands: string[][] = [];
  if (fault.latency) {
    const { delayMs, jitterMs } = fault.latency;
    commands.push(["tc", "qdisc", "add", "dev", DEVICE, "root", "netem", "delay", `${delayMs}ms`, ...(jitterMs > 0 ? [`${jitterMs}ms`] : [])]);
  }
  if (fault.bandwidth) {
    const rate = fault.bandwidth.bytesPerSecond;
    // The bucket holds a tenth of a second's worth (at least one packet); a second's worth may queue.
    commands.push(["tc", "qdisc", "add", "dev", DEVICE, "root", "tbf", "rate", `${rate * 8}bit`, "burst", String(Math.max(1600, Math.ceil(rate / 10))), "latency", "1s"]);
  }
  if (fault.blackhole) commands.push(inbound(port, fault.blackhole.probability, ["-j", "DROP"]));
  if (fault.reset) commands.push(inbound(port, fault.reset.probability, ["-j", "REJECT", "--reject-with", "tcp-reset"]));
  return commands;
}

function inbound(port: number, probability: number, target: string[]): string[] {
  const sample = probability < 1 ? ["-m", "statistic", "--mode", "random", "--probability", String(probability)] : [];
  return ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", String(port), ...sample, ...target];
}

/** A clearer message for a qdisc the kernel lacks (netem is a module some kernels leave out). */
export function explainFailure(command: string[], output: string): string {
  if (/qdisc kind is unknown/.test(output))
    return `${command.join(" ")}: this kernel has no ${command[6]} qdisc (sch_${command[6]}); ${command[6] === "netem" ? "latency" : "this fault"} ${PROXY_ONLY}`;
  return `${command.join(" ")} failed: ${output.trim()}`;
}
