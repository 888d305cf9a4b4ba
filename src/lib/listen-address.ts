/**
 * `host:port` as `http.listen` and `hq.listen` write it: a name, an IPv4 address or a bracketed
 * IPv6 address (`[::]:8080`), then the port.
 */
export const LISTEN_PATTERN = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export interface ListenAddress {
  /** Without brackets, as Bun.serve and Bun.listen take it (`::`, `127.0.0.1`). */
  readonly hostname: string;
  readonly port: number;
}

/** Splits a `host:port` that LISTEN_PATTERN accepts (the config has checked it). */
export function parseListen(text: string): ListenAddress {
  const cut = text.lastIndexOf(":");
  return { hostname: text.slice(0, cut).replace(/^\[|\]$/g, ""), port: Number(text.slice(cut + 1)) };
}

/** Every address of the machine: nothing to dial, the box is asked on loopback instead. */
export const isWildcard = (hostname: string) => hostname === "0.0.0.0" || hostname === "::";

/** A URL that reaches what listens there from this machine (a wildcard is asked on loopback). */
export function localUrl(listen: string, path = ""): string {
  const { hostname, port } = parseListen(listen);
  const host =
    hostname === "0.0.0.0"
      ? "127.0.0.1"
      : hostname === "::"
        ? "[::1]"
        : hostname.includes(":")
          ? `[${hostname}]`
          : hostname;
  return `http://${host}:${port}${path}`;
}
