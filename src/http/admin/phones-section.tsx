import { actionUrlTemplates } from "../../domain/phones/action-urls.ts";
import type { Messages } from "../../i18n/index.ts";
import type { PhonesStatus } from "../../service/phones.ts";
import { formatDateTime } from "../ui/branch-time.ts";
import { phoneStateText } from "../ui/phone-state-text.ts";

export interface PhonesSectionProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly status: PhonesStatus;
  /** The box as phones reach it (`http://10.0.0.5:8080`): the start of every URL shown. */
  readonly base: string;
}

/**
 * Issue 17: the desk phones of `[[phones]]`, each with its state, its last event and what was
 * refused, and the ready-to-paste URLs for its settings. The URLs hold the phone's token: this
 * section is shown only behind the admin token.
 */
export function PhonesSection({ t, timezone, status, base }: PhonesSectionProps) {
  return (
    <section id="phones" data-testid="phones">
      <h2>{t.adminPhonesTitle}</h2>
      <p class="muted">{t.adminPhonesHint}</p>
      {status.phones.length === 0 ? (
        <p class="muted" data-testid="phones-none">
          {t.adminPhonesNone}
        </p>
      ) : (
        <table class="dense" data-testid="phones-list">
          <thead>
            <tr>
              <th>{t.adminPhoneCol}</th>
              <th>{t.adminPhoneStateCol}</th>
              <th>{t.adminPhoneLastCol}</th>
              <th>{t.adminPhoneRefusedCol}</th>
            </tr>
          </thead>
          <tbody>
            {status.phones.map(({ phone, state, refused }) => {
              const urls = actionUrlTemplates(phone.vendor, base, phone.token);
              const wrongAddress = refused["PHONE.WRONG_ADDRESS"] ?? 0;
              const unknownEvent = refused["PHONE.UNKNOWN_EVENT"] ?? 0;
              return (
                <tr data-testid={`phone-${phone.id}`}>
                  <td>
                    <strong>{phone.id}</strong> · {phone.extension}
                    <div class="muted num">
                      {phone.vendor} · {phone.address}
                    </div>
                    <details data-testid={`phone-urls-${phone.id}`}>
                      <summary>{t.adminPhoneUrls(urls.length)}</summary>
                      <dl class="phone-urls">
                        {urls.map((u) => (
                          <>
                            <dt>
                              <code>{u.setting}</code>
                            </dt>
                            <dd>
                              <code>{u.url}</code>
                            </dd>
                          </>
                        ))}
                      </dl>
                    </details>
                  </td>
                  <td data-testid={`phone-state-${phone.id}`}>{phoneStateText(state, t)}</td>
                  <td class="num" data-testid={`phone-last-${phone.id}`}>
                    {state.last === null
                      ? "—"
                      : `${t.phoneEventName(state.last.kind)}, ${formatDateTime(state.last.at, timezone)}`}
                  </td>
                  <td data-testid={`phone-refused-${phone.id}`}>
                    {wrongAddress > 0 && <div class="warn">{t.phoneRefusedAddress(wrongAddress)}</div>}
                    {unknownEvent > 0 && <div class="warn">{t.phoneRefusedEvent(unknownEvent)}</div>}
                    {wrongAddress + unknownEvent === 0 && "0"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {status.unknownToken > 0 && (
        <p class="warn" data-testid="phones-unknown-token">
          {t.adminPhonesUnknownToken(status.unknownToken)}
        </p>
      )}
    </section>
  );
}
