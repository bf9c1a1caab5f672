/**
 * Writes `common/protos/<bundle>.json` from the Envoy, xDS and googleapis .proto trees that ship
 * with the @grpc/grpc-js-xds dev dependency. Run after changing PROTO_BUNDLES or that dependency:
 *
 *   npm run protos
 */
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import protobuf from "protobufjs";
import { bundlePath, PROTO_BUNDLES, type ProtoBundle } from "../common/proto-bundles.ts";

/** The JSON descriptor of one bundle, as written to its file. */
export function renderBundle(bundle: ProtoBundle): string {
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  const includes = [
    ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(deps, d)),
    // google/protobuf/descriptor.proto and friends.
    dirname(require.resolve("protobufjs/package.json")),
  ];
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includes) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync([...PROTO_BUNDLES[bundle]], { keepCase: true });
  root.resolveAll();
  return `${JSON.stringify(root.toJSON())}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const bundle of Object.keys(PROTO_BUNDLES) as ProtoBundle[]) {
    const text = renderBundle(bundle);
    writeFileSync(bundlePath(bundle), text);
    console.log(`${bundlePath(bundle)}: ${text.length} bytes`);
  }
}
