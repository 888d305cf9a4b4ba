import type { Messages } from "../../i18n/index.ts";
import type { CallCommandView } from "../../service/call-command-port.ts";
import { SETTLED_STATES } from "../../service/call-command-port.ts";
import { type Colleague, type EnterTarget, enterTarget } from "./desk-staff.ts";
import { PinPad } from "./pin-pad.tsx";

/**
 * The desk screen's call panel (issue 15, seed 002). It lives in `#desk-panel`, beside the desk's
 * live section (whose stream re-sends the cards), and every answer replaces it whole. Closed, it
 * offers the phone holder her PIN; open, it carries her PIN's proof (`ticket`, renewed by kiosk.js
 * while she taps) in every form, and the cards' hang-up and transfer buttons submit its forms.
 */
export const PANEL_ID = "desk-panel";

export interface PanelMessage {
  readonly text: string;
  readonly kind: "error" | "ok";
}

/** Closed: who may open it, or why nobody can now. */
export function PanelClosed(props: {
  t: Messages;
  path: string;
  holder: { readonly name: string } | null;
  message?: PanelMessage | undefined;
}) {
  const { t, path, holder } = props;
  return (
    <section id={PANEL_ID} class="desk-panel closed" data-testid="desk-panel" aria-labelledby="panel-title">
      <h2 id="panel-title">{t.panelTitle}</h2>
      <Message message={props.message} />
      {holder === null ? (
        <p class="muted" data-testid="panel-nobody">
          {t.panelTakeNobody}
        </p>
      ) : (
        <>
          <p class="muted">{t.panelTakeHint(holder.name)}</p>
          <a
            class="btn primary panel-take"
            href={`${path}/panel/pin`}
            hx-get={`${path}/panel/pin`}
            hx-target={`#${PANEL_ID}`}
            hx-swap="outerHTML"
            data-testid="panel-take"
          >
            {t.panelTake(holder.name)}
          </a>
        </>
      )}
    </section>
  );
}

/** The holder's PIN, on the kiosk's own pad. */
export function PanelPin(props: {
  t: Messages;
  path: string;
  employeeId: string;
  name: string;
  error?: string | undefined;
  locked?: boolean;
}) {
  return (
    <section id={PANEL_ID} class="desk-panel pin-step" data-testid="desk-panel">
      <PinPad
        t={props.t}
        employeeId={props.employeeId}
        name={props.name}
        error={props.error}
        locked={props.locked}
        post={{ action: `${props.path}/panel`, target: `#${PANEL_ID}`, back: `${props.path}/panel` }}
      />
    </section>
  );
}

export interface PanelOpenProps {
  readonly t: Messages;
  readonly path: string;
  readonly me: { readonly id: string; readonly name: string };
  readonly ticket: string;
  /** A fresh idempotency key per render; each form adds its own suffix. */
  readonly commandId: string;
  readonly colleagues: readonly Colleague[];
  /** Picking where a call goes: set after "Перевести" on one of the desk's cards. */
  readonly transfer: {
    readonly callId: string;
    readonly number: string;
    /** Nobody answered it yet: it can only be sent on as it rings (blind, a Redirect). */
    readonly ringing: boolean;
  } | null;
  readonly mode: "blind" | "attended";
  /** What was typed, kept after a refusal. */
  readonly text: string;
  readonly message?: PanelMessage | undefined;
  readonly status?: CommandStatusProps | undefined;
  readonly idleSeconds: number;
}

/** Open: the one input, the keypad, the colleagues, and the forms the cards' buttons submit. */
export function PanelOpen(props: PanelOpenProps) {
  const { t, path, ticket, commandId, transfer } = props;
  const target = enterTarget(props.colleagues, props.text);
  const swap = { "hx-target": `#${PANEL_ID}`, "hx-swap": "outerHTML" };
  return (
    <section
      id={PANEL_ID}
      class={transfer === null ? "desk-panel open" : "desk-panel open transferring"}
      data-testid="desk-panel"
      aria-labelledby="panel-title"
      data-panel-open
      data-panel-idle={String(props.idleSeconds)}
      data-transfer={transfer === null ? undefined : "true"}
      {...hintTemplates(t, transfer !== null)}
    >
      <div class="panel-head">
        <h2 id="panel-title">{t.panelFor(props.me.name)}</h2>
        <a class="btn secondary" href={path} hx-get={`${path}/panel`} {...swap} data-testid="panel-close">
          {t.panelClose}
        </a>
      </div>
      {props.status !== undefined && <CommandStatus {...props.status} />}
      <Message message={props.message} />
      {transfer !== null && (
        <p class="panel-transfer" data-testid="panel-transfer">
          {t.panelTransferTitle(transfer.number)}
        </p>
      )}
      <form
        id="panel-go"
        class="panel-go"
        method="post"
        action={`${path}/${transfer === null ? "call" : "transfer"}`}
        hx-post={`${path}/${transfer === null ? "call" : "transfer"}`}
        {...swap}
      >
        <input type="hidden" name="ticket" value={ticket} />
        <input type="hidden" name="commandId" value={`${commandId}-go`} />
        {transfer !== null && <input type="hidden" name="callId" value={transfer.callId} />}
        {transfer !== null && !transfer.ringing && <ModeChoice t={t} mode={props.mode} />}
        {transfer?.ringing === true && (
          <p class="muted panel-mode-hint" data-testid="panel-ringing-blind">
            <input type="hidden" name="mode" value="blind" />
            {t.panelRingingBlind}
          </p>
        )}
        <div class="panel-input-row">
          <input
            class="panel-input"
            type="text"
            name="q"
            value={props.text}
            autocomplete="off"
            spellcheck={false}
            aria-label={t.panelInputLabel}
            placeholder={t.panelInputLabel}
            aria-describedby="panel-hint"
            data-panel-filter
            data-testid="panel-input"
          />
          <button
            type="button"
            class="btn secondary panel-keypad-toggle"
            aria-expanded="false"
            aria-controls="panel-keypad"
            data-panel-keypad-toggle
            data-testid="panel-keypad-toggle"
          >
            {t.panelKeypadShow}
          </button>
          <button type="submit" class="btn primary panel-enter" data-testid="panel-enter">
            {t.panelEnter}
          </button>
        </div>
        <p id="panel-hint" class="panel-hint" aria-live="polite" data-panel-hint data-testid="panel-hint">
          {hintText(t, target, transfer !== null)}
        </p>
      </form>
      <Keypad t={t} />
      <h3 class="sr-only">{t.panelStaffTitle}</h3>
      <ul class="panel-staff" data-panel-staff data-testid="panel-staff">
        {props.colleagues.map((c) => (
          <li>
            <button
              type="submit"
              form="panel-go"
              name="to"
              value={c.id}
              class={c.phone === null ? "panel-row off" : "panel-row"}
              data-panel-row
              data-name={c.name}
              data-phone={c.phone ?? ""}
              data-words={c.words.join(" ")}
              data-testid={`panel-row-${c.id}`}
            >
              <span class="panel-row-name">{c.name}</span>{" "}
              <span class="panel-row-where">{whereText(t, c)}</span>
            </button>
          </li>
        ))}
      </ul>
      <p class="muted panel-none" data-panel-none hidden data-testid="panel-none">
        {t.panelStaffNone}
      </p>
      {transfer !== null && (
        <form method="post" action={`${path}/panel`} hx-post={`${path}/panel`} {...swap}>
          <input type="hidden" name="ticket" value={ticket} />
          <button type="submit" class="btn secondary" data-testid="panel-transfer-cancel">
            {t.panelCancel}
          </button>
        </form>
      )}
      {/* Submitted by the cards' buttons (`form=`), which carry the call's id. */}
      <HiddenForm
        id="panel-hangup"
        action={`${path}/hangup`}
        ticket={ticket}
        commandId={`${commandId}-hangup`}
      />
      {/* R2.4: the status line's «Отменить перевод» (its button carries the call's id). */}
      <HiddenForm
        id="panel-cancel-transfer"
        action={`${path}/cancel-transfer`}
        ticket={ticket}
        commandId={`${commandId}-cancel`}
      />
      <HiddenForm
        id="panel-transfer-start"
        action={`${path}/transfer`}
        ticket={ticket}
        commandId={`${commandId}-pick`}
      />
      {/* A double tap on a colleague while a call is live: a blind transfer (kiosk.js fills `to`). */}
      <HiddenForm
        id="panel-quick"
        action={`${path}/transfer`}
        ticket={ticket}
        commandId={`${commandId}-quick`}
        fields={{ mode: "blind", to: "" }}
      />
    </section>
  );
}

function HiddenForm(props: {
  id: string;
  action: string;
  ticket: string;
  commandId: string;
  fields?: Record<string, string>;
}) {
  return (
    <form
      id={props.id}
      class="panel-hidden-form"
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target={`#${PANEL_ID}`}
      hx-swap="outerHTML"
    >
      <input type="hidden" name="ticket" value={props.ticket} />
      <input type="hidden" name="commandId" value={props.commandId} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} data-field={name} />
      ))}
    </form>
  );
}

/** Blind by default (R2.3); attended (R2.4) is the second choice, said what it means. */
function ModeChoice({ t, mode }: { t: Messages; mode: "blind" | "attended" }) {
  return (
    <fieldset class="panel-mode">
      <legend class="sr-only">{t.panelModeLabel}</legend>
      <label class="panel-mode-choice" data-testid="panel-mode-blind">
        <input type="radio" name="mode" value="blind" checked={mode === "blind"} />
        <span>{t.panelModeBlind}</span>
      </label>
      <label class="panel-mode-choice" data-testid="panel-mode-attended">
        <input type="radio" name="mode" value="attended" checked={mode === "attended"} />
        <span>{t.panelModeAttended}</span>
      </label>
      <p class="muted panel-mode-hint">{t.panelModeAttendedHint}</p>
    </fieldset>
  );
}

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "0"] as const;

/**
 * A kiosk has no keyboard: digits for a number (or an extension) on big keys; names are picked
 * by a tap on their row. Shown by its toggle (kiosk.js), in place of the list.
 */
function Keypad({ t }: { t: Messages }) {
  return (
    <fieldset id="panel-keypad" class="panel-keypad" hidden>
      <legend class="sr-only">{t.panelKeypadLabel}</legend>
      {KEYS.map((k) => (
        <button
          type="button"
          class="key"
          data-panel-key={k}
          data-testid={`panel-key-${k === "+" ? "plus" : k}`}
        >
          {k}
        </button>
      ))}
      <button
        type="button"
        class="key back"
        data-panel-back
        aria-label={t.panelBack}
        data-testid="panel-key-back"
      >
        ⌫
      </button>
      <button type="button" class="key clear" data-panel-clear data-testid="panel-key-clear">
        {t.panelClear}
      </button>
    </fieldset>
  );
}

function Message({ message }: { message: PanelMessage | undefined }) {
  if (message === undefined) return null;
  return message.kind === "error" ? (
    <p class="error panel-message" role="alert" data-testid="panel-error">
      {message.text}
    </p>
  ) : (
    <p class="flash ok panel-message" role="status" data-testid="panel-ok">
      {message.text}
    </p>
  );
}

/** Where a colleague's phone is today, as her row says it. */
export function whereText(t: Messages, c: Colleague): string {
  if (c.where === null) return t.panelWhereOff;
  if (c.where.onBreak) return c.phone === null ? t.panelWhereOnBreakNoPhone : t.panelWhereOnBreak(c.phone);
  return c.phone === null
    ? t.panelWhereNoPhone(c.where.deskName)
    : t.panelWhereDesk(c.where.deskName, c.phone);
}

/** What Enter will do, said before it is pressed (seed 002's warning). */
export function hintText(t: Messages, target: EnterTarget, transferring: boolean): string {
  switch (target.kind) {
    case "empty":
      return t.panelHintEmpty;
    case "colleague": {
      const { name, phone } = target.colleague;
      if (phone === null) return t.panelHintOneNoPhone(name);
      return transferring ? t.panelHintTransferOne(name, phone) : t.panelHintOne(name, phone);
    }
    case "number":
      // As typed, digits only: kiosk.js says the same while one types.
      return transferring ? t.panelHintTransferNumber(target.number) : t.panelHintNumber(target.number);
    case "ambiguous":
      return t.panelHintMany(String(target.count));
    case "none":
      return t.panelHintNone;
  }
}

/** The same sentences for kiosk.js, with {name}, {phone}, {number}, {count} to fill in. */
function hintTemplates(t: Messages, transferring: boolean): Record<string, string> {
  return {
    "data-hint-empty": t.panelHintEmpty,
    "data-hint-one": transferring
      ? t.panelHintTransferOne("{name}", "{phone}")
      : t.panelHintOne("{name}", "{phone}"),
    "data-hint-one-off": t.panelHintOneNoPhone("{name}"),
    "data-hint-number": transferring ? t.panelHintTransferNumber("{number}") : t.panelHintNumber("{number}"),
    "data-hint-many": t.panelHintMany("{count}"),
    "data-hint-none": t.panelHintNone,
    "data-hint-armed": t.panelArmed("{name}"),
  };
}

export interface CommandStatusProps {
  readonly t: Messages;
  readonly path: string;
  readonly commandId: string;
  /** What was asked, in words ("Звонок: Ольга Петрова (доб. 103)"). */
  readonly label: string;
  /** Whose phone rings first for a click-to-call. */
  readonly extension: string;
  readonly view: CallCommandView | null;
  /** An attended transfer's call (R2.4): while it is open the line offers to cancel it. */
  readonly cancelCallId?: string | null | undefined;
}

/**
 * A command's state, live: polled every second (a GET of one small fragment) until it settles;
 * a settled one is drawn once more and no longer asks.
 */
export function CommandStatus(props: CommandStatusProps) {
  const { t, view } = props;
  const settled = view === null || SETTLED_STATES.has(view.state);
  const bad = view === null || ["failed", "expired", "refused"].includes(view.state);
  const url = `${props.path}/command/${encodeURIComponent(props.commandId)}`;
  return (
    <p
      id="panel-status"
      class={bad ? "panel-status error" : settled ? "panel-status done" : "panel-status live"}
      role="status"
      data-testid="panel-status"
      data-state={view?.state ?? "unknown"}
      hx-get={settled ? undefined : url}
      hx-trigger={settled ? undefined : "every 1s"}
      hx-target={settled ? undefined : "this"}
      hx-swap={settled ? undefined : "outerHTML"}
    >
      {props.label} — {stateText(t, view, props.extension)}
      {!settled && props.cancelCallId && (
        <button
          type="submit"
          form="panel-cancel-transfer"
          name="callId"
          value={props.cancelCallId}
          class="btn secondary panel-cancel-transfer"
          data-testid="panel-cancel-transfer"
        >
          {t.panelCancelTransfer}
        </button>
      )}
    </p>
  );
}

function stateText(t: Messages, view: CallCommandView | null, extension: string): string {
  if (view === null) return t.cmdUnknown;
  // The sentence ends the reason itself: a PBX's own full stop would make it "..".
  const reason = (view.reason ?? t.cmdNoReason).replace(/[.\s]+$/, "");
  switch (view.state) {
    case "queued":
      return t.cmdQueued;
    case "sent":
      return t.cmdSent;
    case "ringing-employee":
      return t.cmdRinging(extension);
    case "connected":
      return t.cmdConnected;
    case "done":
      return t.cmdDone;
    case "failed":
      return t.cmdFailed(reason);
    case "expired":
      return t.cmdExpired;
    case "refused":
      return t.cmdRefused(reason);
  }
}
