import type { Messages } from "../../i18n/index.ts";
import { PAIRING_CODE_DIGITS } from "../../service/device-pairing.ts";
import { Keypad } from "./pin-pad.tsx";

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
        <Keypad t={t} prefix="pair" ok={t.pairOk} />
      </form>
    </section>
  );
}
