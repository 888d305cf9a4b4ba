import { parseArgs } from "node:util";
import { loadConfig } from "../../../src/config/load.ts";
import { createLogger } from "../../../src/log/logger.ts";

/**
 * The start and end a bench server shares with `branchbox serve --config FILE`: the config file
 * named by `--config`, loaded as the product loads it, the same logger on stdout; and a clean stop
 * (server, then box) on SIGTERM or SIGINT.
 */

export function serverConfig(script: string): {
  config: ReturnType<typeof loadConfig>;
  log: ReturnType<typeof createLogger>;
} {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { config: { type: "string" } } });
  if (values.config === undefined) {
    console.error(`usage: bun ${script} --config FILE`);
    process.exit(2);
  }
  const config = loadConfig({ file: values.config, env: process.env });
  return { config, log: createLogger({ base: { branch: config.branch.id } }) };
}

/** Prints `listening <url>` on stderr (what `spawnListening` waits for) and stops cleanly on a signal. */
export function announceAndStopOnSignal(
  server: { readonly url: URL; stop(closeActiveConnections?: boolean): unknown },
  box: { close(): unknown },
): void {
  console.error(`listening ${server.url.href}`);
  const stop = async () => {
    server.stop(true);
    await box.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}
