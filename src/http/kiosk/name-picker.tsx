import type { Lang, Messages } from "../../i18n/index.ts";
import type { EmployeeView } from "../../service/roster-port.ts";

/** From this many names on, the home screen offers a search (issue 14, item 3). */
export const SEARCH_FROM = 13;
/** A word longer than this is set smaller on its tile ("long"); longer than the second, the name
 * goes under the circle to have the tile's whole width ("longest"). It still wraps if it must. */
const LONG_WORD = 9;
const LONGEST_WORD = 14;

/** A name's words; `hyphens` also splits "Мария-Антуанетта" (a line may break there too). */
const words = (name: string, hyphens = false): string[] =>
  name.split(hyphens ? /[\s-]+/ : /\s+/).filter((w) => w !== "");
const firstLetter = (word: string, lang: Lang): string => (Array.from(word)[0] ?? "").toLocaleUpperCase(lang);

/** "Анна Смирнова" -> "АС"; one word gives one letter. The staff list carries no photo. */
export function initials(name: string, lang: Lang): string {
  return words(name)
    .slice(0, 2)
    .map((w) => firstLetter(w, lang))
    .join("");
}

/** The first letters of the first names, each once, in the language's order. */
export function firstLetters(names: readonly string[], lang: Lang): string[] {
  const letters = new Set(names.map((n) => firstLetter(words(n)[0] ?? "", lang)).filter((l) => l !== ""));
  return [...letters].sort((a, b) => a.localeCompare(b, lang));
}

export interface NamePickerProps {
  readonly employees: readonly EmployeeView[];
  readonly t: Messages;
  readonly lang: Lang;
}

/**
 * The home screen's names: the screen's heading, then a tile per employee (initials, the name
 * wrapping inside its tile, the on-shift mark). A long list gets a search: a field and a letter
 * per first name, for a touch screen with no keyboard. The search is shown and run by
 * web/kiosk.js on the page (no request per letter); without JavaScript it stays hidden and every
 * name is listed.
 */
export function NamePicker({ employees, t, lang }: NamePickerProps) {
  const searchable = employees.length >= SEARCH_FROM;
  return (
    <section class="names" aria-labelledby="names-title">
      <h1 id="names-title">{t.pickYourName}</h1>
      {searchable && (
        <div class="name-search" data-name-search hidden>
          <div class="name-search-row">
            <input
              class="name-filter"
              type="search"
              autocomplete="off"
              spellcheck={false}
              aria-label={t.nameSearchLabel}
              placeholder={t.nameSearchLabel}
              data-name-filter
              data-testid="name-filter"
            />
            <button type="button" class="btn secondary name-all" data-name-all data-testid="name-all">
              {t.nameSearchAll}
            </button>
          </div>
          <fieldset class="letters">
            <legend class="sr-only">{t.nameSearchLetters}</legend>
            {firstLetters(
              employees.map((e) => e.name),
              lang,
            ).map((letter) => (
              <button
                type="button"
                class="letter"
                aria-pressed="false"
                data-name-letter={letter}
                data-testid={`name-letter-${letter}`}
              >
                {letter}
              </button>
            ))}
          </fieldset>
        </div>
      )}
      <div class="name-grid" data-testid="name-grid">
        {employees.map((e) => {
          const href = `/pin/${encodeURIComponent(e.id)}`;
          const longest = Math.max(...words(e.name, true).map((w) => Array.from(w).length));
          const classes = [
            "name-btn",
            longest > LONG_WORD ? "long" : "",
            longest > LONGEST_WORD ? "longest" : "",
          ];
          return (
            <a
              class={classes.filter((c) => c !== "").join(" ")}
              href={href}
              hx-get={href}
              hx-target="#screen"
              data-name={e.name}
              data-testid={`employee-${e.id}`}
            >
              {/* Drawn from data-initials by kiosk.css: the tile's text stays the name alone. */}
              <span class="avatar" data-initials={initials(e.name, lang)} aria-hidden="true" />
              <span class="name-text">{e.name}</span>
              <OnShiftMark employee={e} t={t} />
            </a>
          );
        })}
      </div>
      {searchable && (
        <p class="muted name-none" data-name-none hidden data-testid="name-none">
          {t.nameSearchNone}
        </p>
      )}
    </section>
  );
}

/**
 * A tile's on-shift mark, by id, so the board's live stream can send it again (`live`: an htmx
 * out-of-band swap) and every tile says who is on shift without a reload (issue 14, item 5).
 */
export function OnShiftMark({ employee, t, live }: { employee: EmployeeView; t: Messages; live?: boolean }) {
  const on = employee.onShift !== null;
  return (
    <span
      id={`on-mark-${employee.id}`}
      class="on-mark"
      role="img"
      aria-label={t.onShiftMark}
      hidden={!on}
      hx-swap-oob={live === true ? "true" : undefined}
      data-testid={`on-mark-${employee.id}`}
    />
  );
}
