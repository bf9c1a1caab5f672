/** A step: its actions, the steps nested in it and what it expects. Steps nest through `definitions.step`. */
import { type Static, type TSchema, type TUnsafe, Type } from "@sinclair/typebox";
import { definition, duration, eitherType, oneOrList, text } from "./builders.ts";
import { expectation, metricCondition } from "./assertions.ts";
import { fault } from "./faults.ts";
import { resourceList } from "./resources.ts";
import { traffic } from "./traffic.ts";

export const NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

/** The step schema around `child`, the reference to a nested step (a parameter so the type can name itself). */
function stepWith<C extends TSchema>(child: C) {
  return Type.Object(
    {
      name: Type.Optional(text({ description: "Unique within the scenario; shown in reports." })),
      id: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: "Names this branch for `of:` in expectations." })),
      apply: Type.Optional(resourceList),
      delete: Type.Optional(resourceList),
      fault: Type.Optional(oneOrList(fault, { description: "One fault or a list." })),
      waitFor: Type.Optional(
        Type.Object(
          {
            acked: Type.Optional(Type.Boolean({ description: "Every proxy ACKed the latest configuration." })),
            metric: Type.Optional(metricCondition("A sidecar counter reached a value.")),
            fixture: Type.Optional(eitherType([Type.String(), Type.Array(Type.String())], { description: "Instance(s) accepting connections again, e.g. after restart." })),
            timeout: Type.Optional(duration("Default 10s.")),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      ),
      sleep: Type.Optional(duration("Pause, e.g. 2s.")),
      traffic: Type.Optional(traffic),
      parallel: Type.Optional(Type.Array(child, { minItems: 1, description: "Steps run at the same time (give a branch an id to check its traffic with of:)." })),
      sequence: Type.Optional(Type.Array(child, { minItems: 1, description: "Steps run one after the other." })),
      repeat: Type.Optional(
        Type.Object(
          {
            times: Type.Integer({ minimum: 1, description: "Runs the step's actions this many times, with {{ i }} = 1..times." }),
            every: Type.Optional(duration("Start-to-start interval (default: back to back).")),
          },
          { additionalProperties: false },
        ),
      ),
      expect: Type.Optional(Type.Array(expectation, { description: "Checked against this step's traffic (and sidecar metrics)." })),
    },
    { additionalProperties: false },
  );
}

/** An interface rather than a type alias: only an interface may name itself inside its own definition. */
export interface RawStep extends Static<ReturnType<typeof stepWith<TUnsafe<RawStep>>>> {}

const stepRef = definition<RawStep>("step");

/** `definitions.step`. */
export const step = stepWith(stepRef);

/** The scenario's top-level `steps`. */
export const steps = Type.Array(stepRef, { minItems: 1 });
