import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/log/logger.ts";
import { CallPipeline } from "../../src/service/call-pipeline.ts";
import { openDatabase } from "../../src/store/db.ts";
import { ROSTER, runCallsPortSuite, SETTINGS, T } from "./calls-port.suite.ts";

// The call pipeline on a real SQLite file: a commit is one delivery of the events.
runCallsPortSuite("the call pipeline", async () => {
  const dir = mkdtempSync(join(tmpdir(), "branchbox-calls-port-"));
  const db = openDatabase(dir);
  const pipeline = new CallPipeline(db, {
    roster: ROSTER,
    settings: () => SETTINGS,
    log: silentLogger,
    now: () => T("12:00"),
  });
  pipeline.start();
  return {
    port: pipeline,
    commit: (events) => pipeline.deliver(events),
    close() {
      pipeline.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
