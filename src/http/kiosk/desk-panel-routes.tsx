import { randomUUID } from "node:crypto";
import type { Context, Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../domain/error-codes.ts";
import type { CallCommandInput } from "../../service/call-command-port.ts";
import type { CallCard } from "../../service/calls-port.ts";
import type { DeskView } from "../../service/roster-port.ts";
import type { HttpDeps } from "../deps.ts";
import { statusOf } from "../error-catalogue.ts";
import { clientAddress, type RateLimiter } from "../rate-limit.ts";
import { formatTime } from "../ui/branch-time.ts";
import { isPartial, type LangEnv } from "../ui/lang.ts";
import { formatPhone } from "../ui/phone-format.ts";
import { deskCallActions } from "./desk-calls.ts";
import {
  CommandStatus,
  type CommandStatusProps,
  PanelClosed,
  type PanelMessage,
  PanelOpen,
  type PanelOpenProps,
  PanelPin,
} from "./desk-panel.tsx";
import { type Colleague, colleaguesOf, enterTarget } from "./desk-staff.ts";
import { kioskError } from "./error-text.ts";
import type { Ticketer } from "./ticket.ts";

type C = Context<LangEnv>;
type Status = ContentfulStatusCode;
type Body = HtmlEscapedString | Promise<HtmlEscapedString>;
type Form = (name: string) => string;
/** What the status line of a command this screen sent says; an attended transfer's call, to cancel it. */
type Label = { label: string; extension: string; cancelCallId: string | null };

export interface DeskPanelOptions {
  /** The kiosk's PIN proofs: the same key, lifetime and renewal (POST /ticket) as its action screens. */
  readonly tickets: Ticketer;
  /** The kiosk's PIN posts per client and minute, shared with its PIN pad. */
  readonly pinLimiter: RateLimiter;
  /** The whole desk page with this panel in it, for a post without htmx. */
  readonly page: (c: C, deskId: string, panel: Body, status: Status) => Response | Promise<Response>;
}

/** Labels of the commands this screen sent, for their live status line (the newest kept). */
const LABELS_KEPT = 500;

/**
 * Issue 15, "Where": the desk screen's call panel, under `/desk/<deskId>/…`. Only the employee who
 * holds the desk's phone now (the roster's board) may open it, with her PIN, and every action
 * checks again that she still holds it; a hang-up or a transfer acts only on a call of this desk's
 * phone (a card on its extension), anything else is refused COMMAND.NOT_YOUR_CALL before the
 * command service is asked. Every refusal is a sentence in the kiosk's language; nothing is said
 * to have happened that the command service did not accept.
 */
export function mountDeskPanel(app: Hono<LangEnv>, deps: HttpDeps, options: DeskPanelOptions): void {
  const { config, roster, calls, commands, log } = deps;
  const { tickets, pinLimiter } = options;
  const tz = config.branch.timezone;
  const labels = new Map<string, Label>();

  const pathOf = (desk: DeskView) => `/desk/${encodeURIComponent(desk.id)}`;
  const deskOf = (deskId: string, now: number) => roster.board(now).desks.find((d) => d.id === deskId);

  const answer = (c: C, deskId: string, body: Body, status: Status = 200) => {
    c.header("Cache-Control", "no-store");
    c.header("Vary", "HX-Request, Cookie");
    return isPartial(c) ? c.html(body, status) : options.page(c, deskId, body, status);
  };

  const closed = (c: C, desk: DeskView, message?: PanelMessage, status: Status = 200) =>
    answer(
      c,
      desk.id,
      <PanelClosed t={c.get("t")} path={pathOf(desk)} holder={desk.holder} message={message} />,
      status,
    );

  const refusedClosed = (c: C, desk: DeskView, code: ErrorCode) => {
    const { text, status } = kioskError(code, c.get("t"));
    return closed(c, desk, { kind: "error", text }, status);
  };

  const pinStep = (c: C, desk: DeskView, error?: string, status: Status = 200, locked = false) => {
    const holder = desk.holder;
    if (holder === null) return closed(c, desk);
    return answer(
      c,
      desk.id,
      <PanelPin
        t={c.get("t")}
        path={pathOf(desk)}
        employeeId={holder.employeeId}
        name={holder.name}
        error={error}
        locked={locked}
      />,
      status,
    );
  };

  interface Holder {
    readonly desk: DeskView;
    readonly me: { readonly id: string; readonly name: string };
    readonly now: number;
  }

  const open = (
    c: C,
    { desk, me, now }: Holder,
    more: Partial<Pick<PanelOpenProps, "transfer" | "mode" | "text" | "message" | "status">> = {},
    status: Status = 200,
  ) => {
    const lang = c.get("lang");
    const props: PanelOpenProps = {
      t: c.get("t"),
      path: pathOf(desk),
      me,
      ticket: tickets.issue(me.id, now),
      commandId: randomUUID(),
      colleagues: colleaguesOf(roster.employees(now), roster.board(now).desks, me.id, lang),
      transfer: more.transfer ?? null,
      mode: more.mode ?? "blind",
      text: more.text ?? "",
      message: more.message,
      status: more.status,
      idleSeconds: config.kiosk.idle_seconds,
    };
    return answer(c, desk.id, <PanelOpen {...props} />, status);
  };

  const refusedOpen = (
    c: C,
    holder: Holder,
    code: ErrorCode,
    more: Partial<Pick<PanelOpenProps, "transfer" | "mode" | "text">> = {},
  ) => {
    const { text, status } = kioskError(code, c.get("t"));
    return open(c, holder, { ...more, message: { kind: "error", text } }, status);
  };

  /** The PIN's proof, and that its bearer still holds this desk's phone; else the closed panel, said why. */
  const holderOf = async (
    c: C,
  ): Promise<{ ok: true; holder: Holder; form: Form } | { ok: false; response: Response }> => {
    const now = deps.now();
    const desk = deskOf(c.req.param("deskId") ?? "", now);
    if (desk === undefined)
      return { ok: false, response: c.text(c.get("t").deskUnknown(c.req.param("deskId") ?? ""), 404) };
    const form = await readForm(c);
    const employeeId = tickets.verify(form("ticket"), now);
    if (employeeId === null) {
      log.info("desk panel: no valid PIN proof", { deskId: desk.id });
      return {
        ok: false,
        response: await closed(c, desk, { kind: "error", text: c.get("t").panelClosedIdle }, 403),
      };
    }
    if (desk.holder?.employeeId !== employeeId) {
      log.info("desk panel refused: not the phone holder", { deskId: desk.id, employeeId });
      return { ok: false, response: await refusedClosed(c, desk, "COMMAND.NOT_YOUR_CALL") };
    }
    return { ok: true, holder: { desk, me: { id: employeeId, name: desk.holder.name }, now }, form };
  };

  /** The command service's answer: its live status, or its refusal in words (nothing pretended). */
  const submit = async (
    c: C,
    holder: Holder,
    input: CallCommandInput,
    label: string,
    keep: Partial<Pick<PanelOpenProps, "transfer" | "mode" | "text">> = {},
  ) => {
    const result = await commands.submit(input, holder.now);
    const fields = { deskId: holder.desk.id, employeeId: holder.me.id, kind: input.kind };
    if (!result.ok) {
      log.info("desk panel command refused", { ...fields, code: result.error.code });
      return refusedOpen(c, holder, result.error.code, keep);
    }
    log.info("desk panel command accepted", { ...fields, commandId: result.value.commandId });
    const cancelCallId = input.kind === "transfer" && input.mode === "attended" ? input.callId : null;
    remember(result.value.commandId, { label, extension: holder.desk.extension, cancelCallId });
    const status: CommandStatusProps = {
      t: c.get("t"),
      path: pathOf(holder.desk),
      commandId: result.value.commandId,
      label,
      extension: holder.desk.extension,
      view: result.value,
      cancelCallId,
    };
    return open(c, holder, { status }, 202);
  };

  const remember = (commandId: string, entry: Label) => {
    labels.delete(commandId);
    labels.set(commandId, entry);
    for (const oldest of labels.keys()) {
      if (labels.size <= LABELS_KEPT) break;
      labels.delete(oldest);
    }
  };

  const origin = (holder: Holder) =>
    ({ via: "desk", deskId: holder.desk.id, employeeId: holder.me.id }) as const;
  const commandIdOf = (form: Form) => {
    const given = form("commandId");
    return /^[A-Za-z0-9_-]{8,100}$/.test(given) ? given : randomUUID();
  };

  /** Who or what the form names: a colleague's row (`to`), else the typed text by the Enter rule. */
  const targetOf = (
    c: C,
    holder: Holder,
    form: Form,
  ):
    | { ok: true; colleague: Colleague }
    | { ok: true; number: string }
    | { ok: false; text: string; code?: ErrorCode } => {
    const t = c.get("t");
    const colleagues = colleaguesOf(
      roster.employees(holder.now),
      roster.board(holder.now).desks,
      holder.me.id,
      c.get("lang"),
    );
    const to = form("to");
    const target = to !== "" ? colleagues.find((x) => x.id === to) : undefined;
    if (to !== "" && target === undefined)
      return {
        ok: false,
        text: kioskError("COMMAND.UNKNOWN_EMPLOYEE", t).text,
        code: "COMMAND.UNKNOWN_EMPLOYEE",
      };
    const enter =
      target === undefined
        ? enterTarget(colleagues, form("q"))
        : { kind: "colleague" as const, colleague: target };
    switch (enter.kind) {
      case "colleague":
        if (enter.colleague.phone === null)
          return { ok: false, text: t.panelColleagueNoPhone(enter.colleague.name) };
        return { ok: true, colleague: enter.colleague };
      case "number":
        return { ok: true, number: enter.number };
      case "ambiguous":
        return { ok: false, text: t.panelAmbiguous(enter.count) };
      case "empty":
        return { ok: false, text: t.panelHintEmpty };
      case "none":
        return { ok: false, text: t.panelNothing };
    }
  };

  const notSent = (
    c: C,
    holder: Holder,
    text: string,
    code: ErrorCode | undefined,
    keep: Partial<PanelOpenProps>,
  ) =>
    open(c, holder, { ...keep, message: { kind: "error", text } }, code === undefined ? 409 : statusOf(code));

  /** This desk's cards a holder may act on, and whether `callId` is one of them. */
  const deskCall = (holder: Holder, callId: string, need: "hangup" | "transfer") => {
    const all = calls.cards(holder.now);
    const card = all.find((x) => x.callId === callId);
    if (card === undefined) return { ok: false as const, code: "COMMAND.UNKNOWN_CALL" as const };
    const actions = deskCallActions(card, holder.desk.extension);
    if (actions === null || !actions[need])
      return { ok: false as const, code: "COMMAND.NOT_YOUR_CALL" as const };
    return { ok: true as const, card };
  };

  const numberOf = (c: C, card: CallCard) =>
    card.number === null ? c.get("t").hiddenNumber : formatPhone(card.number);
  const colleagueText = (c: C, x: Colleague) => `${x.name}, ${c.get("t").extension(x.phone ?? "—")}`;

  app.get("/desk/:deskId/panel", (c) => {
    const desk = deskOf(c.req.param("deskId"), deps.now());
    if (desk === undefined) return c.text(c.get("t").deskUnknown(c.req.param("deskId")), 404);
    if (!isPartial(c)) return c.redirect(pathOf(desk), 303);
    return closed(c, desk);
  });

  app.get("/desk/:deskId/panel/pin", (c) => {
    const desk = deskOf(c.req.param("deskId"), deps.now());
    if (desk === undefined) return c.text(c.get("t").deskUnknown(c.req.param("deskId")), 404);
    return pinStep(c, desk);
  });

  // The PIN (opens the panel), or the proof alone (back to the panel from a transfer's choice).
  app.post("/desk/:deskId/panel", async (c) => {
    const t = c.get("t");
    const now = deps.now();
    const desk = deskOf(c.req.param("deskId"), now);
    if (desk === undefined) return c.text(t.deskUnknown(c.req.param("deskId")), 404);
    const form = await readForm(c);
    if (form("ticket") !== "") {
      const held = await holderOf(c);
      return held.ok ? open(c, held.holder) : held.response;
    }
    const employeeId = form("employeeId");
    // Anyone but the phone holder is refused before a PIN is judged: no try of theirs is spent.
    if (desk.holder === null || desk.holder.employeeId !== employeeId) {
      log.info("desk panel refused: not the phone holder", { deskId: desk.id, employeeId });
      return refusedClosed(c, desk, "COMMAND.NOT_YOUR_CALL");
    }
    if (!pinLimiter.take(clientAddress(c), now)) return pinStep(c, desk, t.pinRateLimited, 429);
    const pin = form("pin");
    if (!/^[0-9]{1,12}$/.test(pin)) return pinStep(c, desk, t.pinEmpty, 400);
    const result = await roster.verifyPin(employeeId, pin, now);
    if (!result.ok) {
      const { error } = result;
      log.info("desk panel PIN refused", { deskId: desk.id, employeeId, code: error.code });
      if (error.code === "ROSTER.UNKNOWN_EMPLOYEE") return refusedClosed(c, desk, error.code);
      const locks = error.code === "ROSTER.PIN_LOCKED" || (error.attemptsLeft ?? 1) === 0;
      if (!locks) return pinStep(c, desk, t.pinWrong(error.attemptsLeft ?? 1), statusOf(error.code));
      const until = error.lockedUntil ?? now + config.roster.pin_lock_minutes * 60_000;
      const minutes = Math.max(1, Math.ceil((until - now) / 60_000));
      return pinStep(
        c,
        desk,
        t.pinLocked(minutes, formatTime(until, tz)),
        statusOf("ROSTER.PIN_LOCKED"),
        true,
      );
    }
    log.info("desk panel opened", { deskId: desk.id, employeeId });
    return open(c, { desk, me: { id: employeeId, name: desk.holder.name }, now });
  });

  // R2.1: click-to-call from this desk's phone: a number, or the colleague's phone where she is today.
  app.post("/desk/:deskId/call", async (c) => {
    const held = await holderOf(c);
    if (!held.ok) return held.response;
    const { holder, form } = held;
    const text = form("to") === "" ? form("q") : "";
    const target = targetOf(c, holder, form);
    if (!target.ok) return notSent(c, holder, target.text, target.code, { text });
    const number = "number" in target ? target.number : (target.colleague.phone ?? "");
    const label = c
      .get("t")
      .cmdCall("number" in target ? formatPhone(target.number) : colleagueText(c, target.colleague));
    const input: CallCommandInput = {
      kind: "click-to-call",
      commandId: commandIdOf(form),
      origin: origin(holder),
      extension: holder.desk.extension,
      number,
    };
    return submit(c, holder, input, label, { text });
  });

  /**
   * A command on one live call of this desk's phone, checked the same way for each kind: R2.2's
   * hang-up, and R2.4's cancel of the attended transfer under way (the status line's button).
   */
  const onDeskCall = (
    kind: "hangup" | "cancel-transfer",
    use: Parameters<typeof deskCall>[2],
    label: (c: C, card: CallCard) => string,
  ) =>
    app.post(`/desk/:deskId/${kind}`, async (c) => {
      const held = await holderOf(c);
      if (!held.ok) return held.response;
      const { holder, form } = held;
      const call = deskCall(holder, form("callId"), use);
      if (!call.ok) {
        log.info(`desk panel ${kind} refused`, {
          deskId: holder.desk.id,
          callId: form("callId"),
          code: call.code,
        });
        return refusedOpen(c, holder, call.code);
      }
      const input: CallCommandInput = {
        kind,
        commandId: commandIdOf(form),
        origin: origin(holder),
        callId: call.card.callId,
      };
      return submit(c, holder, input, label(c, call.card));
    });
  onDeskCall("hangup", "hangup", (c, card) => c.get("t").cmdHangup(numberOf(c, card)));
  onDeskCall("cancel-transfer", "transfer", (c, card) => c.get("t").cmdCancelTransfer(numberOf(c, card)));

  // R2.3, R2.4: a call's id alone asks where it goes; with a colleague or a typed text, it goes.
  // A double tap on a colleague sends no call id: the desk's only call in progress is meant.
  app.post("/desk/:deskId/transfer", async (c) => {
    const t = c.get("t");
    const held = await holderOf(c);
    if (!held.ok) return held.response;
    const { holder, form } = held;
    let callId = form("callId");
    if (callId === "") {
      const live = calls
        .cards(holder.now)
        .filter((x) => deskCallActions(x, holder.desk.extension)?.transfer === true);
      const [only] = live;
      if (only === undefined || live.length > 1)
        return notSent(
          c,
          holder,
          only === undefined ? t.panelNoLiveCall : t.panelManyLiveCalls,
          undefined,
          {},
        );
      callId = only.callId;
    }
    const call = deskCall(holder, callId, "transfer");
    if (!call.ok) {
      log.info("desk panel transfer refused", { deskId: holder.desk.id, callId, code: call.code });
      return refusedOpen(c, holder, call.code);
    }
    const ringing = call.card.state === "waiting";
    const transfer = { callId, number: numberOf(c, call.card), ringing };
    const mode = form("mode") === "attended" && !ringing ? "attended" : "blind";
    if (form("to") === "" && form("q") === "") return open(c, holder, { transfer, mode });
    const text = form("to") === "" ? form("q") : "";
    const target = targetOf(c, holder, form);
    if (!target.ok) return notSent(c, holder, target.text, target.code, { transfer, mode, text });
    const input: CallCommandInput = {
      kind: "transfer",
      commandId: commandIdOf(form),
      origin: origin(holder),
      callId,
      to: "number" in target ? target.number : target.colleague.id,
      mode,
    };
    const where = "number" in target ? formatPhone(target.number) : colleagueText(c, target.colleague);
    return submit(c, holder, input, t.cmdTransfer(transfer.number, where, mode === "attended"), {
      transfer,
      mode,
      text,
    });
  });

  // The live status line: asked every second until the command settles.
  app.get("/desk/:deskId/command/:commandId", (c) => {
    const desk = deskOf(c.req.param("deskId"), deps.now());
    if (desk === undefined) return c.text(c.get("t").deskUnknown(c.req.param("deskId")), 404);
    const commandId = c.req.param("commandId");
    const known = labels.get(commandId);
    c.header("Cache-Control", "no-store");
    // Only this screen's commands: an id it did not send is no business of a desk screen.
    if (known === undefined) return c.text("", 404);
    return c.html(
      <CommandStatus
        t={c.get("t")}
        path={pathOf(desk)}
        commandId={commandId}
        label={known.label}
        extension={known.extension}
        view={commands.get(commandId)}
        cancelCallId={known.cancelCallId}
      />,
    );
  });
}

/** A form body read once; a missing or non-text field reads as "". */
async function readForm(c: C): Promise<Form> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return (name) => {
    const value = (body as Record<string, unknown>)[name];
    return typeof value === "string" ? value.trim() : "";
  };
}
