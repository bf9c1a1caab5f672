/** gRPC status codes, the grpc-message header's encoding, and the error a failed call ends with. */

/** The gRPC status codes meshsim sends or meets. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const NAMES = new Map<number, string>(Object.entries(GrpcStatus).map(([name, code]) => [code, name]));

/** `DEADLINE_EXCEEDED` for 4; the number itself for codes not listed above. */
export function grpcStatusName(code: number): string {
  return NAMES.get(code) ?? String(code);
}

/** A call that ended with a status other than OK: `4 DEADLINE_EXCEEDED: …`, as grpc-js words it. */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${grpcStatusName(code)}: ${details}`);
    this.name = "GrpcError";
  }
}

/** gRPC's percent-encoding for grpc-message: printable ASCII except '%' stays as it is. */
export function encodeGrpcMessage(message: string): string {
  return Array.from(Buffer.from(message, "utf8"), (byte) => (byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)).join(
    "",
  );
}

/** The reverse of encodeGrpcMessage; a malformed escape is kept as it is. */
export function decodeGrpcMessage(header: string | undefined): string {
  if (!header) return "";
  try {
    return decodeURIComponent(header);
  } catch {
    return header;
  }
}
