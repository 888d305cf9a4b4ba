import { expect, test } from "bun:test";
import { RUSSIAN_NUMBERS } from "../../domain/rules/phone-number.ts";
import { callbackCommand, toMangoNumber } from "./mango-commands.ts";

// Mango writes outside numbers as international digits without "+" (every example of its API
// document: "74955404444"; its events: "79607164646"); the desk panel gives what was typed.
test("an outside number goes to Mango as its document writes them; an extension or group number unchanged", () => {
  expect(toMangoNumber("8 (916) 123-45-67", RUSSIAN_NUMBERS)).toBe("79161234567");
  expect(toMangoNumber("+74955404444", RUSSIAN_NUMBERS)).toBe("74955404444");
  expect(toMangoNumber("89161234567", null)).toBe("89161234567");
  expect(toMangoNumber("102", RUSSIAN_NUMBERS)).toBe("102");
  expect(toMangoNumber("+74955404444", null)).toBe("74955404444");
  expect(callbackCommand("101", toMangoNumber("8 916 123 45 67", RUSSIAN_NUMBERS))).toEqual({
    command: "callback",
    params: { from: { extension: "101" }, to_number: "79161234567" },
  });
});
