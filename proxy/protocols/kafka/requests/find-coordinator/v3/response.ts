/** FindCoordinatorResponse v3: v1 in flexible encoding (compact strings, tagged fields). */
export { rewriteFindCoordinatorResponse } from "../v0/response.ts";
