import { z } from "zod";
import type { Command } from "../contract/down-records.ts";
import { isSettled } from "../domain/call/call-command-state.ts";
import type { Instant } from "../domain/roster/types.ts";
import { describeIssues } from "../lib/zod-issues.ts";
import type { CallCommandInput, CallCommandsPort, CallCommandView } from "./call-command-port.ts";
import type { CommandPort, CommandResult } from "./command-port.ts";

/** The `args` of each kind HQ may send (issue 15); the service checks the values themselves. */
const ARGS = {
  "click-to-call": z.strictObject({
    employeeId: z.string().optional(),
    extension: z.string().optional(),
    number: z.string(),
  }),
  hangup: z.strictObject({ callId: z.string() }),
  transfer: z.strictObject({ callId: z.string(), to: z.string(), mode: z.enum(["blind", "attended"]) }),
  "cancel-transfer": z.strictObject({ callId: z.string() }),
} as const;

const isKind = (kind: string): kind is keyof typeof ARGS => Object.hasOwn(ARGS, kind);

/**
 * Headquarters' `command.run` on the call command service: `click-to-call`, `hangup`, `transfer`,
 * `cancel-transfer`,
 * submitted with origin `hq`, HQ's commandId and its `expiresAt`. `run` resolves when the command
 * settles (the service's deadline bounds the wait): done → ok; failed → its reason; expired;
 * refused (bad args or the service's refusal: not on shift, no such call…, with its code).
 * At most once per commandId twice over: the inbox runs a command once, and the service's row
 * answers a repeated id with the first command.
 *
 * `close` (the box stops) ends the waits at once, so the inbox's stop does not wait a
 * click-to-call's minutes; the inbox, stopped first, writes no answer for them. After the restart
 * `resume` answers HQ for what the PBX did: the service's row (never sent again) settles from the
 * PBX's verdict, the call's events or its deadline, and HQ hears that; a command that never
 * reached the service was not sent, and is answered `failed` so.
 */
export function hqCallCommands(
  service: CallCommandsPort,
  now: () => Instant,
): CommandPort & { close(): void } {
  const waiting = new Set<(stopped: null) => void>();
  const STOPPED = "the box stopped before the command settled";
  let closed = false;
  /** The command's answer once the service settles it (or the box stops first). */
  const outcome = async (commandId: string): Promise<CommandResult> => {
    let stop: (stopped: null) => void = () => {};
    const stopped = new Promise<null>((resolve) => {
      stop = resolve;
    });
    waiting.add(stop);
    const view = await Promise.race([settled(service, commandId), stopped]);
    waiting.delete(stop);
    if (view === null) return { ok: false, reason: STOPPED };
    if (view.state === "done") return { ok: true };
    const reason = view.reason ?? view.state;
    return view.state === "expired" || view.state === "refused"
      ? { ok: false, status: view.state, reason }
      : { ok: false, reason };
  };
  return {
    close() {
      closed = true;
      for (const stop of [...waiting]) stop(null);
    },
    supports: isKind,
    async run(command: Command): Promise<CommandResult> {
      if (closed) return { ok: false, reason: STOPPED };
      if (!isKind(command.kind)) return { ok: false, status: "refused", reason: `no kind ${command.kind}` };
      const args = ARGS[command.kind].safeParse(command.args);
      if (!args.success)
        return {
          ok: false,
          status: "refused",
          reason: `COMMAND.BAD_INPUT: ${describeIssues(args.error.issues, "args")}`,
        };
      const input = {
        ...args.data,
        kind: command.kind,
        commandId: command.commandId,
        origin: { via: "hq" },
        expiresAt: command.expiresAt,
      } as CallCommandInput;
      const submitted = await service.submit(input, now());
      if (!submitted.ok)
        return {
          ok: false,
          status: "refused",
          reason: `${submitted.error.code}: ${submitted.error.message}`,
        };
      return outcome(command.commandId);
    },
    async resume(command: Command): Promise<CommandResult> {
      if (closed) return { ok: false, reason: STOPPED };
      if (service.get(command.commandId) === null)
        return {
          ok: false,
          reason: "interrupted: the box stopped before it reached the phone system; not sent",
        };
      return outcome(command.commandId);
    },
  };
}

/** The command's view once it is settled (at once if it is already). */
function settled(service: CallCommandsPort, commandId: string): Promise<CallCommandView> {
  return new Promise((resolve) => {
    let unsubscribe: (() => void) | null = null;
    let done = false;
    const check = (v: CallCommandView | null) => {
      if (done || v === null || v.commandId !== commandId || !isSettled(v.state)) return;
      done = true;
      unsubscribe?.();
      resolve(v);
    };
    unsubscribe = service.subscribe(check);
    check(service.get(commandId));
    if (done) unsubscribe();
  });
}
