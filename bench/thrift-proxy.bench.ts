/**
 * `npm run bench`: Thrift calls direct vs through meshsim (see meta-protocol-bench.ts).
 * BENCH_TRANSPORT (framed | unframed | header) and BENCH_PROTOCOL (binary | compact) pick the wire format.
 */
import { thriftDriver } from "../simulator/traffic/thrift-driver.ts";
import { runFromScript } from "./meta-protocol-bench.ts";

const transport = process.env.BENCH_TRANSPORT ?? "framed";
const protocol = process.env.BENCH_PROTOCOL ?? "binary";

runFromScript({
  codec: "thrift",
  title: `thrift ${transport}/${protocol}`,
  server: { script: "fixtures/thrift/server.ts", args: ["--service", "hello", "--version", "v1", "--instance", "hello-v1-0", "--port", "0", "--transport", transport, "--protocol", protocol] },
  driver: thriftDriver,
  driverOptions: { transport, protocolVariant: protocol },
});
