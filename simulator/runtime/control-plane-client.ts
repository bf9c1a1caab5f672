import { MeshsimError, InvalidInputError, type InputProblem } from "../../common/errors.ts";

export interface ControlPlaneStatus {
  version: string;
  acked: boolean;
  proxies: Array<{ id: string; connected: boolean; types: Record<string, { sentVersion?: string; ackedVersion?: string; nack?: { version: string; reason: string } }> }>;
}

/** The simulator's side of the control plane's HTTP API. */
export class ControlPlaneClient {
  constructor(readonly baseUrl: string) {}

  /** Applies resources (objects or YAML text); returns the config version they produce. */
  async apply(resources: ReadonlyArray<object> | string): Promise<string> {
    const body = typeof resources === "string" ? resources : resources.map((r) => JSON.stringify(r)).join("\n---\n");
    const res = await fetch(`${this.baseUrl}/resources`, { method: "POST", body, headers: { "content-type": "application/yaml" } });
    const json = (await res.json().catch(() => ({}))) as { version?: string; problems?: InputProblem[]; error?: string };
    if (res.status === 400 && json.problems) throw new InvalidInputError(json.problems);
    if (!res.ok) throw new MeshsimError("INVALID_INPUT", `control plane rejected resources: ${json.error ?? res.status}`);
    return json.version ?? "";
  }

  async delete(kind: string, namespace: string, name: string): Promise<void> {
    const res = await fetch(`${this.baseUrl}/resources/${kind}/${namespace}/${name}`, { method: "DELETE" });
    if (!res.ok && res.status !== 404) throw new MeshsimError("INVALID_INPUT", `cannot delete ${kind}/${namespace}/${name}: ${res.status}`);
  }

  async status(): Promise<ControlPlaneStatus> {
    const res = await fetch(`${this.baseUrl}/status`);
    return (await res.json()) as ControlPlaneStatus;
  }

  /**
   * Resolves once every expected proxy is connected and has ACKed the current version of every
   * type; rejects with the NACK reason as soon as one is seen, or on timeout with the last status.
   */
  async waitForAcked(expectedProxies: ReadonlyArray<string>, timeoutMs: number): Promise<ControlPlaneStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ControlPlaneStatus | undefined;
    for (;;) {
      last = await this.status();
      const nack = findCurrentNack(last);
      if (nack) throw new MeshsimError("XDS_REJECTED", `proxy ${nack.proxy} rejected ${nack.type} version ${nack.version}: ${nack.reason}`);
      const connected = new Set(last.proxies.filter((p) => p.connected).map((p) => p.id));
      if (last.acked && expectedProxies.every((id) => connected.has(id))) return last;
      if (Date.now() > deadline) {
        throw new MeshsimError("TIMEOUT", `proxies did not ACK version ${last.version} within ${timeoutMs} ms: ${JSON.stringify(last.proxies)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function findCurrentNack(status: ControlPlaneStatus): { proxy: string; type: string; version: string; reason: string } | undefined {
  for (const p of status.proxies) {
    if (!p.connected) continue;
    for (const [type, t] of Object.entries(p.types)) {
      if (t.nack && t.ackedVersion !== t.sentVersion && t.nack.version === t.sentVersion) {
        return { proxy: p.id, type, version: t.nack.version, reason: t.nack.reason };
      }
    }
  }
  return undefined;
}
