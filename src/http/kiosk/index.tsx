import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../domain/error-codes.ts";
import type { Messages } from "../../i18n/index.ts";
import { StorageError, toStorageError } from "../../lib/storage-error.ts";
import type { RosterCommandInput, ShiftView } from "../../service/roster-port.ts";
import { mountAssets } from "../assets.ts";
import type { HttpDeps } from "../deps.ts";
import { statusOf } from "../error-catalogue.ts";
import { clientAddress, createRateLimiter } from "../rate-limit.ts";
import { liveHtml } from "../sse.ts";
import { formatTime, startOfDay, startOfYesterday } from "../ui/branch-time.ts";
import { isPartial, type LangEnv, language } from "../ui/lang.ts";
import { Layout } from "../ui/layout.tsx";
import { ActionScreen, type ActionScreenProps, CheckOutConfirm, type KioskAction } from "./action-screen.tsx";
import { BoardContent, Home, type HomeProps } from "./board.tsx";
import { mountCallScreens } from "./call-screens.tsx";
import { isManagerRole, kioskCards } from "./card-audience.ts";
import { type CorrectionValues, correctionAt, defaultValues, reasonOf } from "./correction.ts";
import { CorrectionScreen } from "./correction-screen.tsx";
import { kioskError } from "./error-text.ts";
import { OnShiftMark } from "./name-picker.tsx";
import { mountPairing } from "./pairing.tsx";
import { pbxLinkOf } from "./pbx-link.ts";
import { phoneAfterText, workedText } from "./phone-note.tsx";
import { PinPad, UnlockChooser } from "./pin-pad.tsx";
import { mountRulesScreens } from "./rules-routes.tsx";
import { createTicketer } from "./ticket.ts";
import { whenText } from "./when.ts";

export interface KioskOptions {
  /** SSE heartbeat; tests shorten it. */
  readonly heartbeatMs?: number;
  /** PIN posts allowed per client and minute. */
  readonly pinPostsPerMinute?: number;
}

type C = Context<LangEnv>;
type Status = ContentfulStatusCode;

const ACTIONS: readonly KioskAction[] = [
  "check-in",
  "check-out",
  "break-start",
  "break-end",
  "handover",
  "close-shift",
  "correct",
  "menu",
];
const isAction = (v: string): v is KioskAction => (ACTIONS as readonly string[]).includes(v);

/**
 * The receptionists' kiosk, mounted at "/": home board, PIN pad, action screen, live board and
 * call cards (SSE), the desk screens (call-screens.tsx) and the embedded browser assets. Every screen is a fragment for htmx (`#screen` swaps) and a
 * whole page for a plain form post, so the kiosk works without JavaScript too (bar the keypad).
 */
export function kioskRoutes(deps: HttpDeps, options: KioskOptions = {}): Hono {
  const { config, roster, log } = deps;
  const tz = config.branch.timezone;
  const tickets = createTicketer(config.kiosk.idle_seconds * 1000);
  const pinLimiter = createRateLimiter(options.pinPostsPerMinute ?? 30, 60_000);
  const app = new Hono<LangEnv>();

  mountAssets(app as unknown as Hono);
  app.use(language(config.kiosk.language));

  const screen = (c: C, body: HtmlEscapedString | Promise<HtmlEscapedString>, status: Status = 200) => {
    c.header("Vary", "HX-Request, Cookie");
    c.header("Cache-Control", "no-store");
    if (isPartial(c)) return c.html(body, status);
    const page = (
      <Layout
        t={c.get("t")}
        lang={c.get("lang")}
        title={config.branch.name}
        home="/"
        branchName={config.branch.name}
        interactive
        idleSeconds={config.kiosk.idle_seconds}
      >
        {body}
      </Layout>
    );
    return c.html(html`<!DOCTYPE html>${page}`, status);
  };

  const home = (c: C, flash?: HomeProps["flash"], status: Status = 200) => {
    const now = deps.now();
    const lang = c.get("lang");
    const employees = [...roster.employees(now)].sort((a, b) => a.name.localeCompare(b.name, lang));
    const names = new Map(employees.map((e) => [e.id, e.name]));
    return screen(
      c,
      <Home
        board={roster.board(now)}
        employees={employees}
        cards={kioskCards(deps.calls.cards(now))}
        nameOf={(id) => names.get(id) ?? id}
        t={c.get("t")}
        lang={lang}
        flash={flash === undefined ? undefined : { ...flash, seconds: config.kiosk.flash_seconds }}
        pbxLink={pbxLinkOf(deps.pbx())}
      />,
      status,
    );
  };

  const nameOf = (employeeId: string) =>
    roster.employees(deps.now()).find((e) => e.id === employeeId)?.name ?? "";
  const pinPad = (
    c: C,
    employeeId: string,
    error?: string,
    status: Status = 200,
    more: { locked?: boolean; notice?: string } = {},
  ) =>
    screen(
      c,
      <PinPad t={c.get("t")} employeeId={employeeId} name={nameOf(employeeId)} error={error} {...more} />,
      status,
    );

  const actions = (c: C, employeeId: string, error?: string, status: Status = 200) => {
    const now = deps.now();
    const me = roster.employees(now).find((e) => e.id === employeeId);
    if (me === undefined) return refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE");
    const isManager = isManagerRole(me.role);
    const props: ActionScreenProps = {
      t: c.get("t"),
      timezone: tz,
      now,
      ticket: tickets.issue(me.id, now),
      me,
      desks: roster.board(now).desks,
      phone: roster.phoneAfterLeaving(me.id, now),
      shifts: isManager ? correctable(now) : [],
      isManager,
      error,
    };
    return screen(c, <ActionScreen {...props} />, status);
  };

  /** Shifts a manager may close or correct: yesterday's and today's (issue 14). */
  const correctable = (now: number) => roster.shifts(startOfYesterday(now, tz), now + 1, now);

  const correction = (
    c: C,
    managerId: string,
    shift: ShiftView,
    values: CorrectionValues,
    error?: string,
    status: Status = 200,
  ) => {
    const now = deps.now();
    const props = {
      t: c.get("t"),
      timezone: tz,
      now,
      ticket: tickets.issue(managerId, now),
      shift,
      values,
      error,
    };
    return screen(c, <CorrectionScreen {...props} />, status);
  };

  /** The home board with the kiosk's sentence for a coded refusal. */
  const refusedHome = (c: C, code: ErrorCode) => {
    const { text, status } = kioskError(code, c.get("t"));
    return home(c, { kind: "error", text }, status);
  };

  /** The action screen again, with the kiosk's sentence for a coded refusal. */
  const refusedAction = (c: C, employeeId: string, code: ErrorCode) => {
    const { text, status } = kioskError(code, c.get("t"));
    return actions(c, employeeId, text, status);
  };

  // Before every route below: they all need a paired screen (issue 14, item 8).
  mountPairing(app, deps, screen);

  app.get("/", (c) => home(c));

  app.get("/events", (c) => {
    const t = c.get("t");
    return liveHtml(c, {
      subscribe: (listener) => roster.subscribe(listener),
      // The board, and each name tile's on-shift mark out of band (the tiles are outside #board).
      render: () => {
        const now = deps.now();
        return (
          <>
            <BoardContent board={roster.board(now)} t={t} />
            {roster.employees(now).map((e) => (
              <OnShiftMark employee={e} t={t} live />
            ))}
          </>
        ).toString();
      },
      heartbeatMs: options.heartbeatMs,
      log,
    });
  });

  mountCallScreens(app, deps, { heartbeatMs: options.heartbeatMs, tickets, pinLimiter });
  // Issue 16: "if I do not answer" (R4.1–R4.4) and a manager's absences (R4.7), behind the ticket.
  mountRulesScreens(app, deps, { tickets, screen, home, actions });

  app.get("/pin/:employeeId", (c) => {
    const employeeId = c.req.param("employeeId");
    if (!roster.employees(deps.now()).some((e) => e.id === employeeId)) {
      return home(
        c,
        { kind: "error", text: c.get("t").pinUnknownEmployee },
        statusOf("ROSTER.UNKNOWN_EMPLOYEE"),
      );
    }
    return pinPad(c, employeeId);
  });

  app.post("/pin", async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const employeeId = form("employeeId");
    const pin = form("pin");
    const client = clientAddress(c);
    const now = deps.now();
    if (!pinLimiter.take(client, now)) {
      log.warn("kiosk PIN posts over the rate limit", { client });
      return pinPad(c, employeeId, t.pinRateLimited, 429);
    }
    if (!/^[0-9]{1,12}$/.test(pin)) return pinPad(c, employeeId, t.pinEmpty, 400);
    let result: Awaited<ReturnType<typeof roster.verifyPin>>;
    try {
      result = await roster.verifyPin(employeeId, pin, now);
    } catch (thrown) {
      // The attempt could not be counted, so no PIN is judged (fail closed): say what to do.
      const code = failureCode(thrown);
      log.error("kiosk PIN not judged: the attempt cannot be recorded", { employeeId, code });
      const failure = kioskError(code, t);
      return pinPad(c, employeeId, failure.text, failure.status);
    }
    if (result.ok) {
      log.info("kiosk PIN accepted", { employeeId });
      return actions(c, employeeId);
    }
    const { error } = result;
    log.info("kiosk PIN refused", { employeeId, code: error.code });
    switch (error.code) {
      case "ROSTER.UNKNOWN_EMPLOYEE":
        return home(c, { kind: "error", text: t.pinUnknownEmployee }, statusOf(error.code));
      case "ROSTER.PIN_LOCKED":
        return pinPad(c, employeeId, lockedText(t, error.lockedUntil, now), statusOf(error.code), {
          locked: true,
        });
      default:
        return (error.attemptsLeft ?? 1) > 0
          ? pinPad(c, employeeId, t.pinWrong(error.attemptsLeft ?? 1), statusOf(error.code))
          : pinPad(c, employeeId, lockedText(t, undefined, now), statusOf("ROSTER.PIN_LOCKED"), {
              locked: true,
            });
    }
  });

  /** The lock message: when the PIN works again (a lock just set lasts the configured minutes). */
  const lockedText = (t: Messages, lockedUntil: number | undefined, now: number): string => {
    const until = lockedUntil ?? now + config.roster.pin_lock_minutes * 60_000;
    return t.pinLocked(Math.max(1, Math.ceil((until - now) / 60_000)), formatTime(until, tz));
  };

  // Issue 14: a manager lifts a colleague's PIN lock at the kiosk: picks their own name, types
  // their own PIN (counted against their own budget), and the colleague types theirs again.
  const managers = () =>
    roster
      .employees(deps.now())
      .filter((e) => isManagerRole(e.role))
      .map((e) => ({ id: e.id, name: e.name }));

  app.get("/unlock/:employeeId", (c) => {
    const employeeId = c.req.param("employeeId");
    const name = nameOf(employeeId);
    if (name === "") return refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE");
    return screen(c, <UnlockChooser t={c.get("t")} locked={{ employeeId, name }} managers={managers()} />);
  });

  app.get("/unlock/:employeeId/:managerId", (c) => {
    const locked = { employeeId: c.req.param("employeeId"), name: nameOf(c.req.param("employeeId")) };
    const managerId = c.req.param("managerId");
    if (locked.name === "" || !managers().some((m) => m.id === managerId))
      return refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE");
    return screen(
      c,
      <PinPad t={c.get("t")} employeeId={managerId} name={nameOf(managerId)} unlockFor={locked} />,
    );
  });

  app.post("/unlock", async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const managerId = form("employeeId");
    const locked = { employeeId: form("lockedId"), name: nameOf(form("lockedId")) };
    const managerPad = (error: string, status: Status) =>
      screen(
        c,
        <PinPad t={t} employeeId={managerId} name={nameOf(managerId)} unlockFor={locked} error={error} />,
        status,
      );
    const now = deps.now();
    if (!pinLimiter.take(clientAddress(c), now)) return managerPad(t.pinRateLimited, 429);
    if (locked.name === "") return refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE");
    const pin = form("pin");
    if (!/^[0-9]{1,12}$/.test(pin)) return managerPad(t.pinEmpty, 400);
    let proof: Awaited<ReturnType<typeof roster.verifyPin>>;
    try {
      proof = await roster.verifyPin(managerId, pin, now);
    } catch (thrown) {
      const failure = kioskError(failureCode(thrown), t);
      return managerPad(failure.text, failure.status);
    }
    if (!proof.ok) {
      const { error } = proof;
      if (error.code === "ROSTER.UNKNOWN_EMPLOYEE") return refusedHome(c, error.code);
      const locks = error.code === "ROSTER.PIN_LOCKED" || (error.attemptsLeft ?? 1) === 0;
      const text = locks ? lockedText(t, error.lockedUntil, now) : t.pinWrong(error.attemptsLeft ?? 1);
      return managerPad(text, statusOf(locks ? "ROSTER.PIN_LOCKED" : error.code));
    }
    const lifted = roster.unlockPin(locked.employeeId, { actorId: managerId, via: "kiosk" }, now);
    if (!lifted.ok) return managerPad(t.unlockNotManager, statusOf(lifted.error.code));
    log.info("kiosk PIN lock lifted by a manager", { employeeId: locked.employeeId, managerId });
    return pinPad(c, locked.employeeId, undefined, 200, { notice: t.unlockDone(proof.value.name) });
  });

  app.post("/action", async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const now = deps.now();
    const employeeId = tickets.verify(form("ticket"), now);
    if (employeeId === null) {
      log.warn("kiosk action with a bad or expired ticket");
      return home(c, { kind: "error", text: t.ticketExpired }, 403);
    }
    const kind = form("kind");
    if (!isAction(kind)) return actions(c, employeeId, t.badRequest, 400);
    const me = roster.employees(now).find((e) => e.id === employeeId);
    if (me === undefined) return refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE");
    const deskId = form("deskId") || null;
    const deskName = roster.board(now).desks.find((d) => d.id === deskId)?.name ?? deskId ?? "";

    if (kind === "menu") return actions(c, employeeId);
    if (kind === "correct" || kind === "close-shift") {
      if (!isManagerRole(me.role)) return refusedAction(c, employeeId, "ROSTER.NOT_A_MANAGER");
      const shift = shiftOf(now, form("targetId"), form("shiftFrom"));
      if (shift === undefined) return actions(c, employeeId, t.shiftNotFound, 404);
      if (kind === "correct") return correction(c, me.id, shift, defaultValues(shift, now, tz));
      const values: CorrectionValues = {
        day: form("day") === "yesterday" ? "yesterday" : "today",
        endedAt: form("endedAt"),
        reason: form("reason"),
        note: form("note"),
      };
      const when = correctionAt(t, shift, values, now, tz);
      if (!when.ok) return correction(c, me.id, shift, values, when.why, 400);
      const input: RosterCommandInput = {
        kind: "check-out",
        employeeId: shift.employeeId,
        deskId: null,
        source: "manager",
        actorId: me.id,
        at: when.at,
        reason: reasonOf(values),
      };
      const result = await roster.record(input, now);
      if (!result.ok) {
        log.info("kiosk correction refused", {
          employeeId,
          target: shift.employeeId,
          code: result.error.code,
        });
        const refused = kioskError(result.error.code, t);
        return correction(c, me.id, shift, values, refused.text, refused.status);
      }
      log.info("kiosk shift corrected", { employeeId, target: shift.employeeId });
      return home(c, { kind: "ok", text: t.flashCloseShift(shift.name, whenText(t, when.at, now, tz)) });
    }
    if (kind === "check-out" && form("confirm") !== "yes") {
      if (me.onShift === null) return refusedAction(c, employeeId, "ROSTER.NOT_ON_SHIFT");
      const props = {
        t,
        timezone: tz,
        ticket: tickets.issue(me.id, now),
        me,
        workedMs: roster.workedBetween(me.id, startOfDay(now, tz), now, now),
        phone: roster.phoneAfterLeaving(me.id, now),
      };
      return screen(c, <CheckOutConfirm {...props} />);
    }

    // What leaving does to her phone, read before it happens and said after it happened.
    const leaving =
      kind === "check-out" || kind === "break-start" ? roster.phoneAfterLeaving(me.id, now) : null;
    const result = await roster.record({ kind, employeeId, deskId, source: "kiosk" }, now);
    if (!result.ok) {
      log.info("kiosk action refused", { employeeId, kind, code: result.error.code });
      return refusedAction(c, employeeId, result.error.code);
    }
    log.info("kiosk action recorded", { employeeId, kind });
    const time = formatTime(now, tz);
    const worked = () => workedText(t, roster.workedBetween(me.id, startOfDay(now, tz), now, now));
    const after = leaving === null ? null : { ...leaving, next: holderOf(leaving.deskId, now) };
    const done = {
      "check-in": () => t.flashCheckIn(me.name, deskName, time),
      "check-out": () => t.flashCheckOut(me.name, time, worked()),
      "break-start": () => t.flashBreakStart(me.name, time),
      "break-end": () => t.flashBreakEnd(me.name, time),
      handover: () => t.flashHandover(me.name, deskName, time),
    }[kind]();
    const phone = phoneAfterText(t, after);
    return home(c, { kind: "ok", text: phone === "" ? done : `${done} ${phone}` });
  });

  /** The shift a manager's form names: the employee's starting at `shiftFrom`, or her open one. */
  const shiftOf = (now: number, employeeId: string, shiftFrom: string) =>
    correctable(now).find(
      (s) => s.employeeId === employeeId && (shiftFrom === "" ? s.to === null : String(s.from) === shiftFrom),
    );

  const holderOf = (deskId: string, now: number) => {
    const holder = roster.board(now).desks.find((d) => d.id === deskId)?.holder ?? null;
    return holder === null ? null : { employeeId: holder.employeeId, name: holder.name };
  };

  // Issue 14: the PIN's proof lasts `idle_seconds`; taps on a screen that carries one renew it
  // (kiosk.js), so a manager at work is not sent back to the PIN pad mid-correction.
  app.post("/ticket", async (c) => {
    const form = await readForm(c);
    const now = deps.now();
    const employeeId = tickets.verify(form("ticket"), now);
    c.header("Cache-Control", "no-store");
    if (employeeId === null) return c.text("", 403);
    return c.text(tickets.issue(employeeId, now));
  });

  // A kiosk cannot show the API's JSON error body: a write the disk refused is a screen in words.
  app.onError((thrown, c) => {
    if (thrown instanceof HTTPException) return thrown.getResponse();
    const code = failureCode(thrown);
    log.error("kiosk request failed", { method: c.req.method, path: c.req.path, code, error: thrown });
    return refusedHome(c, code);
  });

  return app as unknown as Hono;
}

/** The code of a thrown failure: the storage's when the disk refused a write, else INTERNAL. */
function failureCode(thrown: unknown): ErrorCode {
  const error = toStorageError("the database", thrown);
  return error instanceof StorageError ? error.code : "INTERNAL";
}

/** A form body read once; a missing or non-text field reads as "". */
async function readForm(c: C): Promise<(name: string) => string> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return (name) => {
    const value = (body as Record<string, unknown>)[name];
    return typeof value === "string" ? value.trim() : "";
  };
}
