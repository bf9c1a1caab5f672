export { loadScenario } from "./loader.ts";
export { validateScenarioFiles, type ValidateOptions } from "./validate.ts";
export { SCENARIO_SCHEMA } from "./schema/index.ts";
export { parseDuration, parseRate } from "./units.ts";
export type {
  ClientSpec,
  ConnectionsSpec,
  ExecutorSpec,
  Expectation,
  Scenario,
  ScenarioResource,
  ServiceSpec,
  SourceRef,
  Step,
  StepAction,
  Topology,
  TrafficSpec,
} from "./types.ts";
