import { basename, dirname, join } from "node:path";
import { UpgradeError } from "./upgrade-error.ts";

/** A release file named by path or by http(s) URL; its SHA256SUMS and .sig sit beside it. */
export interface Release {
  readonly source: string;
  readonly isUrl: boolean;
  /** The file's name, as SHA256SUMS lists it. */
  readonly name: string;
}

export function release(source: string): Release {
  const isUrl = /^https?:\/\//.test(source);
  const name = isUrl ? basename(new URL(source).pathname) : basename(source);
  if (name === "") throw new UpgradeError("UPGRADE.BAD_SOURCE", `${source}: names no file`);
  return { source, isUrl, name };
}

/** A file beside the release (SHA256SUMS, FILE.sig), as bytes; null when there is none. */
export async function sibling(rel: Release, name: string): Promise<Uint8Array<ArrayBuffer> | null> {
  if (rel.isUrl) {
    const url = new URL(name, rel.source).href;
    const response = await fetchOrFail(url);
    if (response.status === 404) return null;
    if (!response.ok) throw new UpgradeError("UPGRADE.DOWNLOAD_FAILED", `${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  const file = Bun.file(join(dirname(rel.source), name));
  return (await file.exists()) ? new Uint8Array(await file.arrayBuffer()) : null;
}

/** Downloads a URL release to `path` (same folder as the binary, so the swap is a rename). */
export async function download(rel: Release, path: string): Promise<void> {
  const response = await fetchOrFail(rel.source);
  if (!response.ok)
    throw new UpgradeError("UPGRADE.DOWNLOAD_FAILED", `${rel.source}: HTTP ${response.status}`);
  await Bun.write(path, response);
}

async function fetchOrFail(url: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(10 * 60 * 1000) });
  } catch (error) {
    throw new UpgradeError("UPGRADE.DOWNLOAD_FAILED", `${url}: ${(error as Error).message}`);
  }
}

/** The expected SHA-256: `--sha256` if given, else the release's line in SHA256SUMS beside it. */
export async function expectedSha256(rel: Release, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(given))
      throw new UpgradeError("UPGRADE.BAD_CHECKSUM", `--sha256 wants 64 hex digits, got "${given}"`);
    return given.toLowerCase();
  }
  const sums = await sibling(rel, "SHA256SUMS");
  if (sums === null) {
    throw new UpgradeError(
      "UPGRADE.NO_CHECKSUM",
      `no SHA256SUMS beside ${rel.source}: pass --sha256 HEX (from the release notes)`,
    );
  }
  // sha256sum(1) lines: "<hex>  <name>", or "<hex> *<name>" in binary mode.
  for (const line of new TextDecoder().decode(sums).split("\n")) {
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (match?.[2] === rel.name) return (match[1] as string).toLowerCase();
  }
  throw new UpgradeError("UPGRADE.NO_CHECKSUM", `SHA256SUMS beside ${rel.source} does not list ${rel.name}`);
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/**
 * Checks FILE.sig against the configured Ed25519 key. The key is base64 of its 32 raw bytes or a
 * PEM "PUBLIC KEY"; the signature is 64 raw bytes (openssl pkeyutl -sign -rawin) or their base64.
 */
export async function verifySignature(rel: Release, path: string, publicKey: string): Promise<void> {
  const sig = await sibling(rel, `${rel.name}.sig`);
  if (sig === null) {
    throw new UpgradeError(
      "UPGRADE.NO_SIGNATURE",
      `[upgrade] public_key is set but there is no ${rel.name}.sig beside ${rel.source}`,
    );
  }
  const signature = sig.length === 64 ? sig : base64Bytes(new TextDecoder().decode(sig));
  const key = await importKey(publicKey);
  const data = new Uint8Array(await Bun.file(path).arrayBuffer());
  const valid =
    signature !== null &&
    signature.length === 64 &&
    (await crypto.subtle.verify("Ed25519", key, signature, data));
  if (!valid) {
    throw new UpgradeError(
      "UPGRADE.BAD_SIGNATURE",
      `${rel.name}.sig is not a valid signature of ${rel.name} by the key in [upgrade] public_key`,
    );
  }
}

async function importKey(text: string): Promise<CryptoKey> {
  try {
    const pem = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(text);
    if (pem !== null) {
      const der = base64Bytes(pem[1] as string);
      if (der !== null)
        return await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
    }
    const raw = base64Bytes(text);
    if (raw !== null && raw.length === 32)
      return await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    // reported below
  }
  throw new UpgradeError(
    "UPGRADE.BAD_PUBLIC_KEY",
    "[upgrade] public_key is not an Ed25519 public key (base64 of 32 bytes, or PEM)",
  );
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> | null {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return null;
  return new Uint8Array(Buffer.from(clean, "base64"));
}
