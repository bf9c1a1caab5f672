import { GenericContainer, Wait } from "testcontainers";

/** The line every meshsim entry point prints once it serves (see announceReady). */
const READY_LINE = /"ready":true/;

/**
 * A testcontainers GenericContainer with two things meshsim needs that its builder lacks:
 * published ports bound to 127.0.0.1 only, and a container created directly on one network with
 * aliases (testcontainers' own aliases attach it to the default bridge as well).
 */
export class MeshsimContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.withWaitStrategy(Wait.forLogMessage(READY_LINE)).withStartupTimeout(60_000);
  }

  withLoopbackPorts(...ports: number[]): this {
    this.withExposedPorts(...ports);
    for (const port of ports) this.hostConfig.PortBindings![`${port}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: "0" }];
    return this;
  }

  onNetwork(network: string, aliases: string[]): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: aliases } } };
    return this;
  }
}
