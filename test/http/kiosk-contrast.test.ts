import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Issue 14, item 10: the kiosk's text colours on their backgrounds meet WCAG 2's AA contrast
 * (4.5:1 for normal text), read from web/kiosk.css's own variables.
 */
const css = readFileSync(join(import.meta.dir, "../../web/kiosk.css"), "utf8");
const variable = (name: string): string => {
  const match = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(css);
  if (match?.[1] === undefined) throw new Error(`--${name} is not a #rrggbb colour in kiosk.css`);
  return match[1];
};

/** WCAG 2 relative luminance and contrast ratio. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

test("issue 14: every text colour pair of the kiosk reaches 4.5:1, the 'держит телефон' badge included", () => {
  const pairs: [string, string, string][] = [
    ["the 'держит телефон' badge", "ok", "ok-bg"],
    ["the break badge", "break", "break-bg"],
    ["an error", "warn", "warn-bg"],
    ["muted text", "muted", "bg"],
    ["muted text on a panel", "muted", "panel"],
    ["a primary button", "primary-ink", "primary"],
    ["body text", "ink", "bg"],
  ];
  for (const [what, fg, bg] of pairs)
    expect({ what, ratio: Number(contrast(variable(fg), variable(bg)).toFixed(2)) >= 4.5 }).toEqual({
      what,
      ratio: true,
    });
});

test("issue 14, item 10: the focus ring reaches 3:1 where it is drawn: the page, a panel, the dark header", () => {
  const pairs: [string, string, string][] = [
    ["the ring on the page", "focus", "bg"],
    ["the ring on a panel", "focus", "panel"],
    ["the ring in the header", "focus-on-dark", "ink"],
  ];
  for (const [what, ring, bg] of pairs)
    expect({ what, ratio: Number(contrast(variable(ring), variable(bg)).toFixed(2)) >= 3 }).toEqual({
      what,
      ratio: true,
    });
  expect(css).toMatch(/:focus-visible \{\s*outline: 3px solid var\(--focus\);/);
  expect(css).toMatch(/\.top :focus-visible \{\s*outline-color: var\(--focus-on-dark\);/);
});
