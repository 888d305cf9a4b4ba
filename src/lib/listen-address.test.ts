import { expect, test } from "bun:test";
import { isWildcard, LISTEN_PATTERN, localUrl, parseListen } from "./listen-address.ts";

test("host:port in each written form splits into what Bun.serve takes", () => {
  expect(parseListen("0.0.0.0:8080")).toEqual({ hostname: "0.0.0.0", port: 8080 });
  expect(parseListen("[::]:8080")).toEqual({ hostname: "::", port: 8080 });
  expect(parseListen("[fe80::1]:18080")).toEqual({ hostname: "fe80::1", port: 18080 });
  expect(parseListen("box.local:80")).toEqual({ hostname: "box.local", port: 80 });
  expect(isWildcard("0.0.0.0") && isWildcard("::") && !isWildcard("127.0.0.1")).toBe(true);
});

test("a wildcard is asked on loopback; an IPv6 address is bracketed in the URL", () => {
  expect(localUrl("0.0.0.0:8080", "/healthz")).toBe("http://127.0.0.1:8080/healthz");
  expect(localUrl("[::]:8080", "/healthz")).toBe("http://[::1]:8080/healthz");
  expect(localUrl("[fe80::1]:8080", "/healthz")).toBe("http://[fe80::1]:8080/healthz");
  expect(localUrl("127.0.0.1:9", "")).toBe("http://127.0.0.1:9");
});

test("the pattern takes names, IPv4 and bracketed IPv6, and nothing else", () => {
  for (const ok of ["0.0.0.0:8080", "[::1]:80", "box-1.local:8090"])
    expect(LISTEN_PATTERN.test(ok)).toBe(true);
  for (const bad of ["::1:80", "8080", "http://x:80", "host:", "[::1]", "a b:80"])
    expect(LISTEN_PATTERN.test(bad)).toBe(false);
});
