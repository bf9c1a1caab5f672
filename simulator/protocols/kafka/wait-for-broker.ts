/** When a Kafka broker in a container serves (what runs in it: deployment.ts). */
import { MeshsimError } from "../../../common/errors.ts";
import { kafkaApiVersionsProbe } from "../../../fixtures/kafka/probe.ts";

/** Resolves once the broker answers Metadata through its published port (it has joined its quorum). */
export async function waitForBroker(instance: string, host: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await kafkaApiVersionsProbe(host, port, 2000).catch(() => 0)) < 1) {
    if (Date.now() > deadline) throw new MeshsimError("TIMEOUT", `Kafka broker ${instance} does not answer Metadata on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
