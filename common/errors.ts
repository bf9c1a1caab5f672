/** One base error with a stable code, so the CLI can map failures to exit codes and messages. */
export type MeshsimErrorCode = "INVALID_INPUT" | "ENVIRONMENT" | "STARTUP_FAILED" | "TIMEOUT" | "XDS_REJECTED";

export class MeshsimError extends Error {
  constructor(
    readonly code: MeshsimErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MeshsimError";
  }
}

/** One problem in an input file, located precisely. */
export interface InputProblem {
  file: string;
  line: number;
  column: number;
  /** e.g. `MetaRouter/hello` or `Scenario/thrift-traffic-split`. */
  resource: string;
  path: string;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = p.path ? ` ${p.path}` : "";
  return `${p.file}:${p.line}:${p.column}: ${p.resource}${where}: ${p.message}`;
}

export class InvalidInputError extends MeshsimError {
  constructor(readonly problems: InputProblem[]) {
    super("INVALID_INPUT", problems.map(formatProblem).join("\n"));
    this.name = "InvalidInputError";
  }
}
