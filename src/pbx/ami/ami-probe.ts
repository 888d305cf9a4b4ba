import { amiGet, createAmiParser } from "./ami-parser.ts";

export interface AmiProbeResult {
  readonly ok: boolean;
  /** What was found, for `branchbox doctor` (never the secret). */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
}

/**
 * One short visit to the AMI port, as `branchbox doctor` does it: connect, read the banner,
 * log in with the configured user, log off. Says which step failed and what to check.
 */
export async function probeAmi(
  target: { host: string; port: number; username: string; secret: string },
  timeoutMs = 3000,
): Promise<AmiProbeResult> {
  const where = `${target.host}:${target.port}`;
  const parser = createAmiParser();
  let step = "connect";
  let resolveResult: (result: AmiProbeResult) => void = () => {};
  const result = new Promise<AmiProbeResult>((resolve) => {
    resolveResult = resolve;
  });
  const timer = setTimeout(
    () =>
      resolveResult({
        ok: false,
        detail: `${where}: no answer in ${timeoutMs} ms at step "${step}"`,
        fix: "check the host, the port (5038), and that the PBX's firewall lets this box in",
      }),
    timeoutMs,
  );
  try {
    const socket = await Bun.connect({
      hostname: target.host,
      port: target.port,
      socket: {
        data(sock, chunk) {
          const frames = parser.push(chunk);
          if (step === "connect" && parser.banner !== null) {
            if (!parser.banner.startsWith("Asterisk Call Manager")) {
              resolveResult({
                ok: false,
                detail: `${where} is not AMI (banner "${parser.banner.slice(0, 60)}")`,
                fix: "point [pbx.ami] at the Asterisk manager port",
              });
              return;
            }
            step = "login";
            sock.write(
              `Action: Login\r\nActionID: doctor-1\r\nUsername: ${target.username}\r\nSecret: ${target.secret}\r\nEvents: off\r\n\r\n`,
            );
          }
          for (const frame of frames) {
            if (amiGet(frame, "ActionID") !== "doctor-1") continue;
            const success = amiGet(frame, "Response") === "Success";
            sock.write("Action: Logoff\r\nActionID: doctor-2\r\n\r\n");
            resolveResult(
              success
                ? { ok: true, detail: `${where}: ${parser.banner}, logged in as ${target.username}` }
                : {
                    ok: false,
                    detail: `${where}: login refused for ${target.username} (${amiGet(frame, "Message") ?? "no reason given"})`,
                    fix: "check username and secret in [pbx.ami] against manager.conf, and its permit/deny lines",
                  },
            );
          }
        },
        close() {
          resolveResult({
            ok: false,
            detail: `${where}: closed the connection at step "${step}"`,
            fix: "check manager.conf (enabled = yes, permit for this box's address)",
          });
        },
        error(_sock, error) {
          resolveResult({
            ok: false,
            detail: `${where}: ${error.message}`,
            fix: "check the host and port in [pbx.ami]",
          });
        },
      },
    });
    const outcome = await result;
    socket.end();
    return outcome;
  } catch (error) {
    return {
      ok: false,
      detail: `${where}: ${(error as Error).message}`,
      fix: "check the host and port in [pbx.ami], and that the PBX is up",
    };
  } finally {
    clearTimeout(timer);
  }
}
