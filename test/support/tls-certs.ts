// A throwaway certificate authority for TLS tests, made with the openssl CLI (Debian's package).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const OPENSSL = process.env.OPENSSL_BIN ?? "/usr/bin/openssl";

export type CertPair = { cert: string; key: string };
export type TestPki = {
  /** The CA certificate (PEM path): trust anchor for both the broker and the clients. */
  ca: string;
  /** The broker's certificate, valid for 127.0.0.1 and localhost. */
  server: CertPair;
  /** One client certificate per requested common name (e.g. a branch id). */
  clients: Record<string, CertPair>;
};

function openssl(args: string[]): void {
  const result = spawnSync(OPENSSL, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.error}`);
}

/** A CA, a server certificate and client certificates with the given CNs, all under `dir`. */
export function makeTestPki(dir: string, clientNames: readonly string[]): TestPki {
  const ca = join(dir, "ca.pem");
  const caKey = join(dir, "ca.key");
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    caKey,
    "-out",
    ca,
    "-subj",
    "/CN=branchbox test CA",
  ]);
  const issue = (name: string, ext?: string): CertPair => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`]);
    const args = [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      cert,
    ];
    if (ext !== undefined) {
      const extFile = join(dir, `${name}.ext`);
      writeFileSync(extFile, ext);
      args.push("-extfile", extFile);
    }
    openssl(args);
    return { cert, key };
  };
  const server = issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const clients: Record<string, CertPair> = {};
  for (const name of clientNames) clients[name] = issue(name, "extendedKeyUsage=clientAuth\n");
  return { ca, server, clients };
}
