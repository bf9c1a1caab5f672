/**
 * ProduceRequest v9 (through v12): v3 in flexible encoding (compact strings, arrays and records,
 * a TAG_BUFFER after each struct and after the body).
 */
import { produceRequestV3, type ProduceRequestShape } from "../v3/request.ts";

export const produceRequestV9: ProduceRequestShape = { ...produceRequestV3, flexible: true };
