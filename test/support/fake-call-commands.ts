import type {
  CallCommandErrorCode,
  CallCommandInput,
  CallCommandState,
  CallCommandsPort,
  CallCommandView,
} from "../../src/service/call-command-port.ts";

/**
 * A CallCommandsPort that records every submit and answers as a test scripts it: by default each
 * command is accepted `queued`; `refuse(code)` makes every submit a coded refusal (nothing kept);
 * `move(commandId, state)` moves an accepted command on, as the PBX's events would, and tells the
 * subscribers. A repeated commandId returns the first command's view (the port's idempotency).
 */
export interface FakeCallCommands extends CallCommandsPort {
  readonly submits: readonly CallCommandInput[];
  refuse(code: CallCommandErrorCode | null): void;
  move(commandId: string, state: CallCommandState, reason?: string | null): void;
}

export function fakeCallCommands(now: () => number = Date.now): FakeCallCommands {
  const submits: CallCommandInput[] = [];
  const views = new Map<string, CallCommandView>();
  const listeners = new Set<(view: CallCommandView) => void>();
  let refusal: CallCommandErrorCode | null = null;
  return {
    submits,
    async submit(input, at) {
      submits.push(input);
      if (refusal !== null) return { ok: false, error: { code: refusal, message: `scripted ${refusal}` } };
      const known = views.get(input.commandId);
      if (known !== undefined) return { ok: true, value: known };
      const view: CallCommandView = {
        commandId: input.commandId,
        kind: input.kind,
        state: "queued",
        callId: input.kind === "click-to-call" ? null : input.callId,
        reason: null,
        createdAt: at,
        updatedAt: at,
      };
      views.set(input.commandId, view);
      return { ok: true, value: view };
    },
    get: (commandId) => views.get(commandId) ?? null,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    refuse(code) {
      refusal = code;
    },
    move(commandId, state, reason = null) {
      const view = views.get(commandId);
      if (view === undefined) throw new Error(`no command ${commandId}`);
      const next = { ...view, state, reason, updatedAt: now() };
      views.set(commandId, next);
      for (const listener of listeners) listener(next);
    },
  };
}
