/**
 * What a protocol adds to scenario validation: the service fields it owns (`redis:`,
 * `transport:`) with their defaults, checks of its own, and what scenarios may not ask of its
 * instances yet. The normalizer applies these for every protocol and names none.
 */
import type { RawService } from "../scenario/normalize/raw-shape.ts";
import type { ServiceSpec } from "../scenario/types.ts";

export interface ScenarioRules {
  /** The service fields only this protocol's services may set. */
  readonly options?: ReadonlyArray<keyof RawService>;
  /** Those fields as the normalized service carries them, defaults filled in (absent fields: none). */
  defaults?(service: RawService): Partial<ServiceSpec>;
  /** Problems with a service of this protocol, each at a field of the service (`versions`). */
  check?(service: RawService, problem: (field: string, message: string) => void): void;
  /** Why a `metric:` cannot read what the service's instances counted themselves; undefined: it can. */
  readonly serviceMetrics?: string;
  /** Why a fault of this kind cannot be aimed at the service's instances; undefined: it can. */
  faultRefusal?(kind: "pause" | "unpause" | "network"): string | undefined;
}
