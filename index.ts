/**
 * The `meshsim` package's public API. Everything not exported here is internal and may change.
 */
export { runScenario, type RunOptions, type RunEvent } from "./simulator/runner.ts";
export { loadScenario } from "./simulator/scenario/loader.ts";
export type { Scenario, Step, Expectation } from "./simulator/scenario/types.ts";
export type { RunSummary, StepSummary } from "./simulator/report/summary.ts";
export type { TrafficResult } from "./simulator/traffic/traffic-result.ts";
export type { AssertionResult } from "./simulator/assert/assertion-result.ts";
export { startControlPlane } from "./control-plane/server.ts";
export { Proxy, defaultCodecRegistry } from "./proxy/proxy.ts";
export { CodecRegistry } from "./proxy/codec/registry.ts";
export {
  CodecError,
  NEED_MORE_DATA,
  type Codec,
  type CodecFactory,
  type CodecOptions,
  type DecodeResult,
  type LocalError,
  type LocalErrorKind,
  type Message,
  type MessageKind,
  type Metadata,
  type Mutation,
} from "./proxy/codec/codec.ts";
export { MeshsimError, InvalidInputError, type InputProblem } from "./common/errors.ts";
