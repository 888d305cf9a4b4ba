// The box compiled as scripts/build.ts does (minify, bytecode, splitting, embedded source maps, no autoload),
// with another version baked in: a real second release for the upgrade tests. The version is the
// same build-time define scripts/build.ts sets, so /healthz reports it as a release would.
import { join } from "node:path";
import { REPO_ROOT } from "../process.ts";

export async function compileRelease(outfile: string, version: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(REPO_ROOT, "src/main.ts")],
    target: "bun",
    format: "esm",
    minify: true,
    sourcemap: "linked",
    bytecode: true,
    splitting: true,
    define: { BRANCHBOX_VERSION: JSON.stringify(version), BRANCHBOX_COMMIT: JSON.stringify("test") },
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    throw: false,
  });
  if (!result.success) throw new Error(`compile failed: ${result.logs.join("\n")}`);
}
