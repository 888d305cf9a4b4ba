import { describe, expect, test } from "bun:test";
import { dayRange, formatDate } from "../../src/http/ui/branch-time.ts";
import { formatElapsed, formatPhone } from "../../src/http/ui/phone-format.ts";

describe("numbers and times on the cards", () => {
  test("Russian numbers are grouped as people say them; anything else is left as the PBX gave it", () => {
    expect(formatPhone("+79991234567")).toBe("+7 999 123-45-67");
    expect(formatPhone("79991234567")).toBe("+7 999 123-45-67");
    expect(formatPhone("84951234567")).toBe("8 495 123-45-67");
    expect(formatPhone("+7 (999) 123-45-67")).toBe("+7 999 123-45-67");
    for (const other of ["101", "+4930123456", "+799912345678", "anonymous", ""])
      expect(formatPhone(other)).toBe(other);
  });

  test("elapsed time reads m:ss, and h:mm:ss past an hour", () => {
    expect(formatElapsed(42_000)).toBe("0:42");
    expect(formatElapsed(12 * 60_000 + 5_000)).toBe("12:05");
    // A clock off by years (a PBX with a wrong date) shows a dash, not "17518:37:57".
    expect(formatElapsed(11 * 3_600_000 + 59 * 60_000)).toBe("11:59:00");
    expect(formatElapsed(2 * 365 * 24 * 3_600_000)).toBe("—");
    expect(formatElapsed(3_723_000)).toBe("1:02:03");
    expect(formatElapsed(-5)).toBe("0:00");
  });

  test("a day of the branch is its own midnight to midnight, across a DST change too", () => {
    expect(dayRange("2026-11-21", "Europe/Moscow")).toEqual({
      from: Date.parse("2026-11-21T00:00:00+03:00"),
      to: Date.parse("2026-11-22T00:00:00+03:00"),
    });
    expect(dayRange("2026-03-29", "Europe/Berlin")).toEqual({
      from: Date.parse("2026-03-29T00:00:00+01:00"),
      to: Date.parse("2026-03-30T00:00:00+02:00"),
    });
    expect(dayRange("2026-12-31", "Europe/Moscow")?.to).toBe(Date.parse("2027-01-01T00:00:00+03:00"));
    for (const bad of ["2026-02-30", "2026-13-01", "21.11.2026", ""])
      expect(dayRange(bad, "Europe/Moscow")).toBeNull();
    expect(formatDate(Date.parse("2026-11-20T21:10:00Z"), "Europe/Moscow")).toBe("2026-11-21");
  });
});
