/**
 * The few Docker Engine API calls meshsim makes itself (podman serves the same API): engine
 * state changes for faults, networks with labels, and removal by label. Containers are created
 * through testcontainers; this is what it does not offer, or what the reaper needs without it.
 */
import { request } from "node:http";

export class DockerApi {
  constructor(private readonly dockerHost: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const r = await this.raw(method, path, body);
    const text = r.body.toString();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* plain text answer */
    }
    return { status: r.status, json: json as T };
  }

  private raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: Buffer }> {
    const url = new URL(this.dockerHost);
    const target = url.protocol === "unix:" ? { socketPath: url.pathname } : { host: url.hostname, port: Number(url.port) };
    return new Promise((resolve, reject) => {
      const req = request({ ...target, method, path, headers: { "content-type": "application/json" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  private async ok(method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${typeof r.json === "string" ? r.json : JSON.stringify(r.json)}`);
    return r.json;
  }

  async ping(): Promise<boolean> {
    return this.call("GET", "/_ping").then(
      (r) => r.status === 200,
      () => false,
    );
  }

  async imageExists(name: string): Promise<boolean> {
    return (await this.call("GET", `/images/${encodeURIComponent(name)}/json`)).status === 200;
  }

  async tagImage(name: string, repo: string, tag: string): Promise<void> {
    await this.ok("POST", `/images/${encodeURIComponent(name)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`);
  }

  /** Removes the images of `repo` labelled `label` other than `keep`; one still used by a container stays. */
  async removeOtherImages(repo: string, keep: string, label: string): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ reference: [repo], label: [label] }));
    const images = (await this.ok("GET", `/images/json?filters=${filters}`)) as Array<{ Id: string; RepoTags?: string[] }>;
    const stale = images.filter((i) => !(i.RepoTags ?? []).some((t) => t === keep || t === `${repo}:latest`));
    await Promise.all(stale.map((i) => this.call("DELETE", `/images/${i.Id}`)));
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<void> {
    await this.ok("POST", "/networks/create", { Name: name, Driver: "bridge", Labels: labels, CheckDuplicate: true });
  }

  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    await this.ok("POST", `/containers/${id}/kill?signal=${signal}`);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.ok("POST", `/containers/${id}/stop?t=${graceSeconds}`);
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await this.ok("POST", `/containers/${id}/restart?t=${graceSeconds}`);
  }

  async pause(id: string): Promise<void> {
    await this.ok("POST", `/containers/${id}/pause`);
  }

  async unpause(id: string): Promise<void> {
    await this.ok("POST", `/containers/${id}/unpause`);
  }

  async inspect(id: string): Promise<ContainerInspect> {
    return (await this.ok("GET", `/containers/${id}/json`)) as ContainerInspect;
  }

  async logs(id: string, tail: number): Promise<string> {
    const r = await this.raw("GET", `/containers/${id}/logs?stdout=1&stderr=1&tail=${tail}`);
    return demultiplex(r.body);
  }

  /** Names of containers and networks that carry `label` (`key=value`). */
  async listLabelled(label: string): Promise<{ containers: string[]; networks: string[] }> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const containers = (await this.ok("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string; Names: string[] }>;
    const networks = (await this.ok("GET", `/networks?filters=${filters}`)) as Array<{ Id: string; Name: string }>;
    return { containers: containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id), networks: networks.map((n) => n.Name) };
  }

  /** Removes (killing first) every container, then every network and volume, that carries `label`. */
  async removeLabelled(label: string): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const containers = (await this.ok("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>;
    // Containers sharing another's network namespace go first: the owner cannot be removed before them.
    const shared: string[] = [];
    const owners: string[] = [];
    for (const c of containers) ((await this.inspect(c.Id).catch(() => undefined))?.HostConfig?.NetworkMode?.startsWith("container:") ? shared : owners).push(c.Id);
    for (const group of [shared, owners]) {
      await Promise.all(group.map((id) => this.call("DELETE", `/containers/${id}?force=1&v=1`)));
    }
    const networks = (await this.ok("GET", `/networks?filters=${filters}`)) as Array<{ Id: string }>;
    await Promise.all(networks.map((n) => this.call("DELETE", `/networks/${n.Id}`)));
    const volumes = (await this.call<{ Volumes?: Array<{ Name: string }> }>("GET", `/volumes?filters=${filters}`)).json;
    await Promise.all((volumes?.Volumes ?? []).map((v) => this.call("DELETE", `/volumes/${v.Name}?force=1`)));
  }
}

export interface ContainerInspect {
  Id: string;
  State: { Running: boolean; Paused: boolean; Status: string };
  HostConfig: { NetworkMode?: string };
  NetworkSettings: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> };
}

/** Docker's multiplexed log stream: each chunk has an 8-byte header (stream, 0, 0, 0, length). */
function demultiplex(body: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= body.length && body[at]! <= 2 && body.readUIntBE(at + 1, 3) === 0) {
    const length = body.readUInt32BE(at + 4);
    parts.push(body.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return Buffer.concat([...parts, body.subarray(at)]).toString();
}
