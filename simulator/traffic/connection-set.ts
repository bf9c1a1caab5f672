import type { ConnectionEvents, DriverConnection, ProtocolDriver } from "./protocol-driver.ts";
import { CallError } from "./protocol-driver.ts";

export type ConnectionMode = "per-request" | "pooled" | "long-lived";

export interface ConnectionCounters {
  opened: number;
  closedByPeer: number;
  resets: number;
}

/**
 * The client connections of one traffic step.
 * - per-request: a new connection for every call, closed after it;
 * - pooled: `size` connections used in turn, reopened when one is lost;
 * - long-lived: `size` connections opened up front and never replaced — a lost one fails its
 *   later calls, which is what a "no dropped connections" assertion wants to see.
 */
export class ConnectionSet {
  readonly counters: ConnectionCounters = { opened: 0, closedByPeer: 0, resets: 0 };
  private readonly slots: Array<Promise<DriverConnection> | null>;
  private next = 0;
  private readonly events: ConnectionEvents;

  constructor(
    private readonly driver: ProtocolDriver,
    private readonly address: { host: string; port: number },
    private readonly mode: ConnectionMode,
    size: number,
    private readonly driverOptions: Record<string, unknown>,
    private readonly onEvent?: (kind: keyof ConnectionCounters) => void,
  ) {
    this.slots = mode === "per-request" ? [] : new Array(Math.max(1, size)).fill(null);
    this.events = {
      onClosedByPeer: () => {
        this.counters.closedByPeer++;
        this.onEvent?.("closedByPeer");
      },
      onReset: () => {
        this.counters.resets++;
        this.onEvent?.("resets");
      },
    };
  }

  /** Opens every pooled/long-lived connection now, so connect time is not charged to calls. */
  async warmUp(): Promise<void> {
    if (this.mode === "per-request") return;
    for (let i = 0; i < this.slots.length; i++) this.slots[i] = this.open();
    await Promise.all(this.slots);
  }

  /** A connection for the next call; with per-request the caller must `release` it. */
  async acquire(): Promise<DriverConnection> {
    if (this.mode === "per-request") return this.open();
    const i = this.next;
    this.next = (this.next + 1) % this.slots.length;
    let slot = this.slots[i];
    if (slot === null || slot === undefined) slot = this.slots[i] = this.open();
    const connection = await slot;
    if (connection.isOpen) return connection;
    if (this.mode === "long-lived") throw new CallError("connection_lost", "long-lived connection was closed");
    const reopened = (this.slots[i] = this.open());
    return reopened;
  }

  release(connection: DriverConnection): void {
    if (this.mode === "per-request") connection.close();
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.slots.filter((s): s is Promise<DriverConnection> => s !== null));
    for (const r of all) if (r.status === "fulfilled") r.value.close();
  }

  private open(): Promise<DriverConnection> {
    this.counters.opened++;
    this.onEvent?.("opened");
    return this.driver.connect(this.address, this.events, this.driverOptions).catch((err: unknown) => {
      throw err instanceof CallError ? err : new CallError("connect_failed", (err as Error).message);
    });
  }
}
