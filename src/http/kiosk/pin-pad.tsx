import type { Messages } from "../../i18n/index.ts";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

export interface PinPadProps {
  readonly t: Messages;
  readonly employeeId: string;
  readonly name: string;
  readonly error?: string | undefined;
}

/**
 * The PIN pad. The PIN goes in the body of a POST, never in a URL. The digit keys need
 * web/kiosk.js; without it the field still takes typed digits and the form still posts.
 */
export function PinPad({ t, employeeId, name, error }: PinPadProps) {
  return (
    <section class="pin" data-idle-home>
      <h1>{t.enterPin(name)}</h1>
      <form class="pin-form" method="post" action="/pin" hx-post="/pin" hx-target="#screen">
        <input type="hidden" name="employeeId" value={employeeId} />
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
        {error !== undefined && (
          <p class="error" role="alert" data-testid="pin-error">
            {error}
          </p>
        )}
        <div class="keypad">
          {KEYS.map((k) => (
            <button type="button" class="key" data-pin-key={k} data-testid={`pin-key-${k}`}>
              {k}
            </button>
          ))}
          <button type="button" class="key clear" data-pin-clear data-testid="pin-clear">
            {t.pinClear}
          </button>
          <button type="button" class="key" data-pin-key="0" data-testid="pin-key-0">
            0
          </button>
          <button type="submit" class="key ok" data-testid="pin-ok">
            {t.pinOk}
          </button>
        </div>
      </form>
      <a class="btn secondary" href="/" hx-get="/" hx-target="#screen" data-testid="back-home">
        {t.back}
      </a>
    </section>
  );
}
