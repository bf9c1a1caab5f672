/**
 * The `meshsim` package's public API. Everything not exported here is internal and may change.
 */
export { runScenario, upScenario, type RunOptions, type RunEvent } from "./simulator/runner.ts";
export { runScenarios, type RunScenariosOptions, type RunScenariosResult } from "./simulator/run-scenarios.ts";
export type { Reporter, ReportFolder } from "./simulator/report/reporter.ts";
export { builtInReporter, consoleReporter, fileReporter } from "./simulator/report/built-in-reporters.ts";
export { loadScenario, type LoadOptions } from "./simulator/scenario/loader.ts";
export { writeReports, type FileReporterName, type ReportPaths } from "./simulator/report/write-reports.ts";
export { renderHtml } from "./simulator/report/html.ts";
export { renderJUnit } from "./simulator/report/junit.ts";
export { SUMMARY_SCHEMA } from "./simulator/report/summary-schema.ts";
export { startFaultProxy, type FaultProxy } from "./simulator/faults/tcp-fault-proxy.ts";
export type { Scenario, Step, Expectation } from "./simulator/scenario/types.ts";
export type { RunSummary, StepSummary, StepEvent } from "./simulator/report/summary.ts";
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
export { defineCodec, type CodecDefinition, type CodecCounters, type ParsedFrame } from "./proxy/codec/define-codec.ts";
export {
  codecConformance,
  formatConformanceReport,
  measureThroughput,
  type CodecSample,
  type ConformanceOptions,
  type ConformanceReport,
  type PropertyResult,
  type Throughput,
} from "./proxy/codec/conformance.ts";
export { loadCodecModule, runCodecTest, samplesFromFiles, type CodecTestModule } from "./proxy/codec/codec-test.ts";
export { createThriftCodec } from "./proxy/protocols/thrift/index.ts";
export { MeshsimError, InvalidInputError, type InputProblem } from "./common/errors.ts";
