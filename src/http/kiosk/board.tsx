import type { Lang, Messages } from "../../i18n/index.ts";
import type { CallCard } from "../../service/calls-port.ts";
import type { BoardView, EmployeeView } from "../../service/roster-port.ts";
import { formatTime } from "../ui/branch-time.ts";
import { CallCards } from "./call-cards.tsx";
import { NamePicker } from "./name-picker.tsx";
import type { PbxLink } from "./pbx-link.ts";

/**
 * What the SSE stream re-sends on every roster change: the clock, every desk with who holds its
 * phone, everyone on shift, and who of the staff is at another branch today (R0.3d). The `#board` element on the home screen is its container.
 */
export function BoardContent({ board, t }: { board: BoardView; t: Messages }) {
  const tz = board.branch.timezone;
  return (
    <>
      <div class="clock-row">
        <span class="sr-only">{t.clockLabel}</span>
        <time class="clock" data-clock data-tz={tz} data-now={String(board.now)}>
          {formatTime(board.now, tz)}
        </time>
      </div>
      <h2>{t.desks}</h2>
      <ul class="desks">
        {board.desks.map((desk) => (
          <li class={desk.holder === null ? "desk free" : "desk held"}>
            <span class="desk-name">
              {desk.name} <span class="ext">{t.extension(desk.extension)}</span>
            </span>
            <span class="desk-holder" data-testid={`desk-${desk.id}-holder`}>
              {desk.holder === null ? t.free : desk.holder.name}
            </span>
            {desk.holder !== null && (
              <span class="since">{t.sinceTime(formatTime(desk.holder.since, tz))}</span>
            )}
          </li>
        ))}
      </ul>
      <h2>{t.onShiftTitle}</h2>
      {board.onShift.length === 0 ? (
        <p class="muted">{t.nobodyOnShift}</p>
      ) : (
        <ul class="on-shift">
          {board.onShift.map((s) => (
            <li data-testid={`on-shift-${s.employeeId}`}>
              <span class="who">{s.name}</span>
              <span class="where">{t.onShiftAt(s.deskName, formatTime(s.since, tz))}</span>
              {s.holdsPhone && <span class="badge phone">{t.holdsPhone}</span>}
              {s.onBreak && <span class="badge break">{t.onBreak}</span>}
            </li>
          ))}
        </ul>
      )}
      {board.elsewhere.length > 0 && (
        <>
          <h2>{t.elsewhereTitle}</h2>
          <ul class="elsewhere">
            {board.elsewhere.map((e) => (
              <li data-testid={`elsewhere-${e.employeeId}`}>
                <span class="who">{e.name}</span>
                <span class="where">
                  {t.elsewhereToday(e.branchName ?? e.branchId, formatTime(e.since, tz))}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

export interface HomeProps {
  readonly board: BoardView;
  readonly employees: readonly EmployeeView[];
  /** The kiosk's call cards (card-audience.ts `kioskCards`). */
  readonly cards: readonly CallCard[];
  readonly nameOf: (employeeId: string) => string;
  readonly t: Messages;
  readonly lang: Lang;
  readonly flash?:
    | { readonly text: string; readonly kind: "ok" | "error"; readonly seconds?: number | undefined }
    | undefined;
  readonly pbxLink?: PbxLink;
}

/**
 * The home screen: a button per employee first (what a receptionist comes for: her name, seen
 * without scrolling on an 800×480 kiosk), then the live call cards and the live board beside it.
 */
export function Home({ board, employees, cards, nameOf, t, lang, flash, pbxLink }: HomeProps) {
  return (
    <div class="home">
      {flash !== undefined &&
        (flash.kind === "ok" ? (
          <p class="flash ok" role="status" data-testid="flash" data-dismiss-after={flash.seconds}>
            {flash.text}
          </p>
        ) : (
          <p class="flash error" role="alert" data-testid="flash-error">
            {flash.text}
          </p>
        ))}
      <NamePicker employees={employees} t={t} lang={lang} />
      <div class="home-side">
        <section id="calls" class="calls" data-testid="calls" hx-sse:connect={`/calls/events?lang=${lang}`}>
          <CallCards
            cards={cards}
            t={t}
            timezone={board.branch.timezone}
            now={board.now}
            nameOf={nameOf}
            title={t.callsNowTitle}
            pbxLink={pbxLink}
          />
        </section>
        <section id="board" class="board" data-testid="board" hx-sse:connect={`/events?lang=${lang}`}>
          <BoardContent board={board} t={t} />
        </section>
      </div>
    </div>
  );
}
