import type { Messages } from "../../i18n/index.ts";
import type { PairedDevice, PairingCode } from "../../service/device-pairing.ts";
import { formatDateTime, formatTime } from "../ui/branch-time.ts";

/** The longest device name /admin takes ("Ресепшен, киоск у входа" is 23). */
export const DEVICE_NAME_MAX = 80;

export interface DevicesSectionProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly devices: readonly PairedDevice[];
  readonly code: PairingCode | null;
  /** `[kiosk] require_pairing`, `loopback_paired`: what the list means. */
  readonly requirePairing: boolean;
  readonly loopbackPaired: boolean;
}

/**
 * Issue 14 (8): the screens that may use the kiosk and the desk screens, each with a revoke
 * button, and "pair a screen", which shows a one-time code to type on the new screen.
 */
export function DevicesSection(props: DevicesSectionProps) {
  const { t, timezone: tz } = props;
  return (
    <section id="devices" data-testid="devices">
      <h2>{t.adminDevicesTitle}</h2>
      <p class={props.requirePairing ? "muted" : "warn"} data-testid="devices-rule">
        {props.requirePairing ? t.adminDevicesRule(props.loopbackPaired) : t.adminDevicesOpen}
      </p>
      {props.code !== null && (
        <p class="pairing-code" data-testid="devices-code">
          {t.adminDevicesCode(props.code.name, formatTime(props.code.expiresAt, tz))}{" "}
          <strong class="num" data-testid="devices-code-digits">
            {props.code.code}
          </strong>
        </p>
      )}
      <form class="pair-form" method="post" action="/admin/devices/code">
        <label>
          {t.adminDeviceName}{" "}
          <input
            type="text"
            name="name"
            required
            maxlength={DEVICE_NAME_MAX}
            placeholder={t.adminDeviceNameExample}
            class="pair-name"
            data-testid="devices-name"
          />
        </label>{" "}
        <button class="btn primary" type="submit" data-testid="devices-new-code">
          {t.adminDevicesNewCode}
        </button>
      </form>
      {props.devices.length === 0 ? (
        <p class="muted" data-testid="devices-none">
          {t.adminDevicesNone}
        </p>
      ) : (
        <table class="dense" data-testid="devices-list">
          <thead>
            <tr>
              <th>{t.adminDeviceName}</th>
              <th>{t.adminDevicePaired}</th>
              <th>{t.adminDeviceLastSeen}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.devices.map((d) => (
              <tr data-testid={`device-${d.id}`}>
                <td>{d.name}</td>
                <td class="num">
                  {formatDateTime(d.pairedAt, tz)} · {d.pairedFrom}
                </td>
                <td class="num">
                  {formatDateTime(d.lastSeenAt, tz)} · {d.lastSeenFrom}
                </td>
                <td>
                  <form method="post" action={`/admin/devices/${d.id}/revoke`}>
                    <button class="btn secondary" type="submit" data-testid={`device-revoke-${d.id}`}>
                      {t.adminDeviceRevoke}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
