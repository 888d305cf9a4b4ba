import { expect, test } from "bun:test";
import { lazy } from "./lazy.ts";

test("lazy makes its value on the first call only, and keeps it", () => {
  let made = 0;
  const value = lazy(() => ({ made: ++made }));
  expect(made).toBe(0);
  const first = value();
  expect(value()).toBe(first);
  expect(made).toBe(1);
});

test("lazy keeps a value that is undefined too", () => {
  let made = 0;
  const value = lazy(() => {
    made++;
    return undefined;
  });
  value();
  value();
  expect(made).toBe(1);
});
