import type { Messages } from "../../i18n/index.ts";
import { PAIRING_CODE_DIGITS } from "../../service/device-pairing.ts";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

export interface PairingScreenProps {
  readonly t: Messages;
  /** Where the screen goes once paired: the page it asked for ("/desk/front"), else "/". */
  readonly next: string;
  readonly error?: string | undefined;
}

/**
 * What an unpaired screen shows instead of any kiosk or desk page (issue 14, item 8): what to ask
 * branch IT for and a keypad for the code. A plain form post, not htmx: the answer sets the
 * device cookie and sends the whole page on to `next`. The keys need web/kiosk.js (as the PIN
 * pad's); without it the field still takes typed digits.
 */
export function PairingScreen({ t, next, error }: PairingScreenProps) {
  return (
    <section class="pairing" data-testid="pairing">
      <div class="pairing-text">
        <h1>{t.pairTitle}</h1>
        {/* The error says what to do next; both would not fit 800×480 (the keys stay put beside). */}
        {error === undefined && <p>{t.pairHint}</p>}
      </div>
      <form class="pairing-form" method="post" action="/pair">
        <input type="hidden" name="next" value={next} />
        <input
          class="pin-display"
          type="text"
          name="code"
          inputmode="numeric"
          autocomplete="off"
          maxlength={PAIRING_CODE_DIGITS}
          aria-label={t.pairCodeLabel}
          placeholder={"·".repeat(PAIRING_CODE_DIGITS)}
          data-pin-input
          data-testid="pair-code"
        />
        <div class="pin-message">
          {error !== undefined && (
            <p class="error" role="alert" data-testid="pair-error">
              {error}
            </p>
          )}
        </div>
        <div class="keypad">
          {KEYS.map((k) => (
            <button type="button" class="key" data-pin-key={k} data-testid={`pair-key-${k}`}>
              {k}
            </button>
          ))}
          <button type="button" class="key clear" data-pin-clear data-testid="pair-clear">
            {t.pinClear}
          </button>
          <button type="button" class="key" data-pin-key="0" data-testid="pair-key-0">
            0
          </button>
          <button type="button" class="key back" data-pin-back data-testid="pair-back" aria-label={t.pinBack}>
            ⌫
          </button>
          <button type="submit" class="key ok" data-testid="pair-ok">
            {t.pairOk}
          </button>
        </div>
      </form>
    </section>
  );
}
