import { describePolicyScenarios } from "./policy-scenarios.ts";

describePolicyScenarios("dubbo");
