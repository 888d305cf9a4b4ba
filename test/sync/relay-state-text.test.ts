// The relay's states as the admin page words them: the link's state names (src/lib/link-state.ts),
// one sentence each, in every language.
import { expect, test } from "bun:test";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import type { RelayState } from "../../src/sync/relay/relay-types.ts";

/** Every state the relay shows but `disabled` (the page says that one without a link line). */
const SHOWN: Record<Exclude<RelayState, "disabled">, true> = {
  stopped: true,
  connecting: true,
  connected: true,
  "backing-off": true,
};

test("the admin page words each relay state with its own sentence, in English and Russian", () => {
  for (const t of [en, ru]) {
    const texts = Object.keys(SHOWN).map((state) => t.adminSyncLink(state, true));
    expect(new Set(texts).size).toBe(texts.length);
  }
  expect(en.adminSyncLink("backing-off", true)).toBe("broker unreachable, retrying");
  expect(ru.adminSyncLink("backing-off", false)).toBe("нет связи с брокером, повтор");
});
