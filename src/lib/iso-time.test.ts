import { expect, test } from "bun:test";
import { parseIsoInstant } from "./iso-time.ts";

test("a time that does not exist is refused, not rolled over to the next day or month", () => {
  for (const text of [
    "2026-11-31T10:00:00Z", // Date.parse reads 1 December
    "2026-02-29T10:00:00Z", // not a leap year: 1 March
    "2100-02-29T00:00:00Z", // a century that is not a leap year
    "2026-04-31T10:00:00+03:00",
    "2026-00-10T10:00:00Z",
    "2026-13-01T10:00:00Z",
    "2026-11-00T10:00:00Z",
    "2026-11-30T24:00:00Z", // Date.parse reads the next midnight
    "2026-11-30T23:60:00Z",
    "2026-11-30T10:00:60Z",
    "2026-11-30T10:00:00+24:00",
    "2026-11-30T10:00:00+03:60",
    "2026-11-30T10:00:00", // no zone: which branch's 10:00?
    "2026-11-30 10:00:00Z",
    "30.11.2026 10:00",
    "",
  ]) {
    expect([text, parseIsoInstant(text)]).toEqual([text, null]);
  }
});

test("every real time parses to the same instant Date.parse gives", () => {
  for (const text of [
    "2026-11-30T10:00:00Z",
    "2028-02-29T23:59:59+03:00",
    "2000-02-29T00:00:00Z",
    "2026-12-31T23:59:59.999-05:30",
    "2026-11-21T09:00+03:00",
    "2026-11-21T09:00:00.123456789Z",
    "2026-01-01T00:00:00+14:00",
  ]) {
    expect([text, parseIsoInstant(text)]).toEqual([text, Date.parse(text)]);
  }
});
