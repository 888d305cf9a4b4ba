// How a branchbox executable is compiled: the one place that says it. scripts/build.ts (every
// release and `npm run build`), the upgrade tests' second release and bench:startup (the box and
// the bare hello-world it is compared with) all compile through here, so "compiled the same way"
// stays true when an option changes.
import { rmSync } from "node:fs";

export interface CompileRequest {
  readonly entry: string;
  readonly outfile: string;
  /** Baked in as BRANCHBOX_VERSION / BRANCHBOX_COMMIT (what `version` and /healthz report). */
  readonly version: string;
  readonly commit: string;
  /** Bun's compile target; the machine running the build when unset. */
  readonly target?: Bun.Build.CompileTarget;
  /** A verified Bun runtime to embed (scripts/build-runtimes.ts); the running Bun when unset. */
  readonly executablePath?: string;
}

/**
 * One self-contained executable: minified, with precompiled bytecode and its source map embedded;
 * it autoloads nothing from beside it (no bunfig.toml, .env, tsconfig.json or package.json), so it
 * starts from an empty directory. Throws with Bun's log when the build fails.
 */
export async function compileExecutable(request: CompileRequest): Promise<void> {
  const { outfile } = request;
  const result = await Bun.build({
    entrypoints: [request.entry],
    target: "bun",
    format: "esm",
    minify: true,
    // With `compile` the map is embedded in the executable (stack traces name src/ lines);
    // <outfile>.map is a copy for whoever reads a trace, not needed at run time.
    sourcemap: "linked",
    // Precompiled bytecode: the box (and its kiosk) comes back faster after a power cut.
    bytecode: true,
    // What `serve` imports lazily (mqtt.js, sip.js, saxes, doctor, upgrade, hq) goes into chunks of
    // its own inside the executable: a box that never loads them never reads their bytecode
    // (about 1 MB less RSS). Their source maps are embedded too; see dropChunkMaps.
    splitting: true,
    define: {
      BRANCHBOX_VERSION: JSON.stringify(request.version),
      BRANCHBOX_COMMIT: JSON.stringify(request.commit),
    },
    compile: {
      ...(request.target === undefined ? {} : { target: request.target }),
      ...(request.executablePath === undefined ? {} : { executablePath: request.executablePath }),
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
    throw: false,
  });
  if (!result.success) throw new Error(`compile of ${request.entry} failed:\n${result.logs.join("\n")}`);
  dropChunkMaps(result.outputs, outfile);
}

/**
 * With splitting, Bun writes each chunk's source map (`chunk-<hash>.js.map`) beside the
 * executable too. The executable embeds them all (a stack trace from a lazily loaded chunk names
 * src/ lines as well), and a release ships one map per executable: the loose ones are removed.
 */
function dropChunkMaps(outputs: readonly Bun.BuildArtifact[], outfile: string): void {
  for (const output of outputs) {
    if (output.kind === "sourcemap" && output.path !== `${outfile}.map`) rmSync(output.path, { force: true });
  }
}
