/** `npm run bench:dubbo`: Dubbo calls (apache-dubbo-js) direct vs through meshsim (see meta-protocol-bench.ts). */
import { dubboDriver } from "../simulator/traffic/dubbo-driver.ts";
import { runFromScript } from "./meta-protocol-bench.ts";

runFromScript({
  codec: "dubbo",
  title: "dubbo hessian2 (apache-dubbo-js client, TypeScript provider)",
  server: { script: "fixtures/dubbo/server.ts", args: ["--service", "hello", "--version", "v1", "--instance", "hello-v1-0", "--port", "0"] },
  driver: dubboDriver,
});
