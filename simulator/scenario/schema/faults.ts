/** Faults a step injects: stopping, restarting or freezing instances, and network faults on a link. */
import { Type } from "@sinclair/typebox";
import { BANDWIDTH_PATTERN } from "../units.ts";
import { constant, duration, oneOfValues, text } from "./builders.ts";

const probability = Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "Chance per chunk (latency, reset, slice) or per connection (blackhole, bandwidth); default 1." }));

const networkFault = Type.Object(
  {
    link: Type.Object(
      { from: Type.Optional(text()), to: text() },
      {
        additionalProperties: false,
        description: "from: a client (default: any party); to: a service or instance (the hop into it), or `sidecar` (the client's hop to its own sidecar).",
      },
    ),
    latency: Type.Optional(Type.Object({ delay: duration("Added to every chunk."), jitter: Type.Optional(duration("Uniform +/- on top of delay.")), probability }, { additionalProperties: false })),
    reset: Type.Optional(Type.Object({ probability }, { additionalProperties: false })),
    blackhole: Type.Optional(Type.Object({ probability }, { additionalProperties: false })),
    bandwidth: Type.Optional(
      Type.Object({ rate: Type.String({ pattern: BANDWIDTH_PATTERN, description: 'Bytes per second each way, e.g. "64KiB/s", "1MB/s", "500B/s".' }), probability }, { additionalProperties: false }),
    ),
    slice: Type.Optional(
      Type.Object(
        {
          bytes: Type.Integer({ minimum: 1, description: "Largest piece forwarded at once." }),
          delay: Type.Optional(duration("Pause between pieces (default 0).")),
          probability,
        },
        { additionalProperties: false },
      ),
    ),
    clear: Type.Optional(constant(true, { description: "Switch every fault on this link off." })),
  },
  { additionalProperties: false },
);

export const fault = Type.Object(
  {
    kill: Type.Optional(text({ description: "Instance to stop (e.g. hello-v1-0); SIGKILL unless signal: SIGTERM." })),
    signal: Type.Optional(oneOfValues(["SIGKILL", "SIGTERM"])),
    restart: Type.Optional(text({ description: "Instance to (re)start on the port it had, so the ServiceEntry stays valid." })),
    pause: Type.Optional(text({ description: "Instance to freeze: its connections stay open and nothing answers (SIGSTOP; the engine's pause in containers)." })),
    unpause: Type.Optional(text({ description: "Instance to let run again after pause." })),
    network: Type.Optional(networkFault),
  },
  { description: "Exactly one of kill, restart, pause, unpause, network.", minProperties: 1, maxProperties: 2, additionalProperties: false },
);
