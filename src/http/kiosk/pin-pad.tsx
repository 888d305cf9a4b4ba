import type { Messages } from "../../i18n/index.ts";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

/**
 * The big digit keys (web/kiosk.js types them into the form's `data-pin-input`), clear, backspace
 * and the form's submit: the PIN pad's and the pairing screen's. Test ids `<prefix>-key-<d>`,
 * `<prefix>-clear`, `<prefix>-back`, `<prefix>-ok`.
 */
export function Keypad(props: { t: Messages; prefix: string; ok: string }) {
  const { t, prefix } = props;
  return (
    <div class="keypad">
      {KEYS.map((k) => (
        <button type="button" class="key" data-pin-key={k} data-testid={`${prefix}-key-${k}`}>
          {k}
        </button>
      ))}
      <button type="button" class="key clear" data-pin-clear data-testid={`${prefix}-clear`}>
        {t.pinClear}
      </button>
      <button type="button" class="key" data-pin-key="0" data-testid={`${prefix}-key-0`}>
        0
      </button>
      <button
        type="button"
        class="key back"
        data-pin-back
        data-testid={`${prefix}-back`}
        aria-label={t.pinBack}
      >
        ⌫
      </button>
      <button type="submit" class="key ok" data-testid={`${prefix}-ok`}>
        {props.ok}
      </button>
    </div>
  );
}

export interface PinPadProps {
  readonly t: Messages;
  readonly employeeId: string;
  readonly name: string;
  readonly error?: string | undefined;
  /** A note that is no error (the lock was lifted). */
  readonly notice?: string | undefined;
  /** Locked out: offer a manager's unlock (issue 14). */
  readonly locked?: boolean;
  /** A manager's PIN to lift `unlockFor`'s lock: the form posts to /unlock instead of /pin. */
  readonly unlockFor?: { readonly employeeId: string; readonly name: string } | undefined;
  /**
   * Where the pad posts instead of /pin, the element its answer replaces and where "back" goes:
   * the desk screen's call panel (issue 15) opens with the phone holder's PIN.
   */
  readonly post?: { readonly action: string; readonly target: string; readonly back: string } | undefined;
}

/**
 * The PIN pad. The PIN goes in the body of a POST, never in a URL. The digit keys need
 * web/kiosk.js; without it the field still takes typed digits and the form still posts.
 */
export function PinPad({ t, employeeId, name, error, notice, locked, unlockFor, post }: PinPadProps) {
  const action = post?.action ?? (unlockFor === undefined ? "/pin" : "/unlock");
  const back = post?.back ?? "/";
  const target = post?.target ?? "#screen";
  return (
    <section class="pin" data-idle-home={post === undefined ? true : undefined}>
      <h1>{unlockFor === undefined ? t.enterPin(name) : t.unlockManagerPin(name, unlockFor.name)}</h1>
      <form
        class="pin-form"
        method="post"
        action={action}
        hx-post={action}
        hx-target={target}
        hx-swap={post === undefined ? undefined : "outerHTML"}
      >
        <input type="hidden" name="employeeId" value={employeeId} />
        {unlockFor !== undefined && <input type="hidden" name="lockedId" value={unlockFor.employeeId} />}
        {notice !== undefined && (
          <p class="flash" role="status" data-testid="pin-notice">
            {notice}
          </p>
        )}
        <input
          class="pin-display"
          type="password"
          name="pin"
          inputmode="numeric"
          autocomplete="off"
          maxlength={12}
          aria-label={t.pinLabel}
          data-pin-input
        />
        {/* Room for a message is kept empty too: an error never moves the keys under a finger. */}
        <div class="pin-message">
          {error !== undefined && (
            <p class="error" role="alert" data-testid="pin-error">
              {error}
            </p>
          )}
        </div>
        <Keypad t={t} prefix="pin" ok={t.pinOk} />
      </form>
      {locked === true && post === undefined && (
        <a
          class="btn secondary"
          href={`/unlock/${encodeURIComponent(employeeId)}`}
          hx-get={`/unlock/${encodeURIComponent(employeeId)}`}
          hx-target="#screen"
          data-testid="unlock-by-manager"
        >
          {t.unlockByManager}
        </a>
      )}
      <a
        class="btn secondary"
        href={back}
        hx-get={back}
        hx-target={target}
        hx-swap={post === undefined ? undefined : "outerHTML"}
        data-testid="back-home"
      >
        {t.back}
      </a>
    </section>
  );
}

export interface UnlockChooserProps {
  readonly t: Messages;
  readonly locked: { readonly employeeId: string; readonly name: string };
  readonly managers: readonly { readonly id: string; readonly name: string }[];
}

/** Who lifts the lock: a manager taps their own name, then types their own PIN (issue 14). */
export function UnlockChooser({ t, locked, managers }: UnlockChooserProps) {
  const id = encodeURIComponent(locked.employeeId);
  return (
    <section class="pin" data-idle-home>
      <h1>{t.unlockTitle(locked.name)}</h1>
      {managers.length === 0 ? (
        <p class="error" role="alert" data-testid="unlock-no-manager">
          {t.unlockNoManager}
        </p>
      ) : (
        <>
          <p>{t.unlockChooseManager}</p>
          <div class="names">
            {managers.map((m) => (
              <a
                class="btn name"
                href={`/unlock/${id}/${encodeURIComponent(m.id)}`}
                hx-get={`/unlock/${id}/${encodeURIComponent(m.id)}`}
                hx-target="#screen"
                data-testid={`unlock-manager-${m.id}`}
              >
                {m.name}
              </a>
            ))}
          </div>
        </>
      )}
      <a class="btn secondary" href="/" hx-get="/" hx-target="#screen" data-testid="back-home">
        {t.back}
      </a>
    </section>
  );
}
