// The box compiled exactly as scripts/build.ts compiles it (scripts/compile-executable.ts), with
// another version baked in: a real second release for the upgrade tests. /healthz reports that
// version as a release would.
import { join } from "node:path";
import { compileExecutable } from "../../../scripts/compile-executable.ts";
import { REPO_ROOT } from "../process.ts";

export async function compileRelease(outfile: string, version: string): Promise<void> {
  await compileExecutable({ entry: join(REPO_ROOT, "src/main.ts"), outfile, version, commit: "test" });
}
