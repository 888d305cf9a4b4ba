import type { PbxEndpointList } from "../../domain/call/pbx-endpoints.ts";
import { ENDPOINT_ACTIONS, type EndpointAnswer, type Placement, readEndpointLists } from "./ami-endpoints.ts";
import type { AmiFrame } from "./ami-fields.ts";
import { amiGet, createAmiParser } from "./ami-parser.ts";
import { controlPermissions, routingPermissions } from "./ami-permissions.ts";

export interface AmiProbeResult {
  readonly ok: boolean;
  /** What was found, for `branchbox doctor` (never the secret). */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
  /** The PBX's endpoint lists, read after the login (absent when the login failed). */
  readonly endpoints?: PbxEndpointList;
  /** No `system` write class: the routing cannot be kept in AstDB (issue 16). */
  readonly warning?: { readonly detail: string; readonly fix: string };
}

/** One list action in flight: its answer so far. */
interface Listing {
  readonly action: string;
  response: AmiFrame | null;
  readonly items: AmiFrame[];
  answer: EndpointAnswer | null;
}

/**
 * One short visit to the AMI port, as `branchbox doctor` does it: connect, read the banner,
 * log in with the configured user, ask the endpoint lists (PJSIPShowEndpoints, SIPpeers: judged
 * with `placement`), log off. Says which step failed and what to check; a refused or missing list
 * is part of the answer, not a failure.
 */
export async function probeAmi(
  target: { host: string; port: number; username: string; secret: string },
  placement: Placement = () => null,
  timeoutMs = 3000,
): Promise<AmiProbeResult> {
  const where = `${target.host}:${target.port}`;
  const parser = createAmiParser();
  let step = "connect";
  let loggedIn = "";
  const listings = new Map<string, Listing>(
    ENDPOINT_ACTIONS.map((action, i) => [
      `doctor-list-${i}`,
      { action, response: null, items: [], answer: null },
    ]),
  );
  /** The answer to ListCommands: which actions the user may send (see ami-permissions.ts). */
  let commands: AmiFrame | null = null;
  let resolveResult: (result: AmiProbeResult) => void = () => {};
  const result = new Promise<AmiProbeResult>((resolve) => {
    resolveResult = resolve;
  });
  const timer = setTimeout(() => {
    if (loggedIn === "") {
      resolveResult({
        ok: false,
        detail: `${where}: no answer in ${timeoutMs} ms at step "${step}"`,
        fix: "check the host, the port (5038), and that the PBX's firewall lets this box in",
      });
      return;
    }
    // Logged in: a list that did not come in time is that list's failure, not the login's.
    const answers = [...listings.values()].map((l) => ({
      action: l.action,
      answer: l.answer ?? { ok: false as const, error: { message: `no answer within ${timeoutMs} ms` } },
    }));
    resolveResult(withPermissions(loggedIn, commands, readEndpointLists(answers, placement, Date.now())));
  }, timeoutMs);
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
          const finish = () => {
            if (commands === null || ![...listings.values()].every((l) => l.answer !== null)) return;
            sock.write("Action: Logoff\r\nActionID: doctor-2\r\n\r\n");
            const answers = [...listings.values()].map((l) => ({
              action: l.action,
              answer: l.answer as EndpointAnswer,
            }));
            resolveResult(
              withPermissions(loggedIn, commands, readEndpointLists(answers, placement, Date.now())),
            );
          };
          for (const frame of frames) {
            const id = amiGet(frame, "ActionID");
            if (id === "doctor-commands" && commands === null && amiGet(frame, "Response") !== undefined) {
              commands = frame;
              finish();
              continue;
            }
            const listing = id === undefined ? undefined : listings.get(id);
            if (listing !== undefined && listing.answer === null) {
              collect(listing, frame);
              finish();
              continue;
            }
            if (id !== "doctor-1") continue;
            if (amiGet(frame, "Response") === "Success") {
              loggedIn = `${where}: ${parser.banner}, logged in as ${target.username}`;
              step = "endpoint lists";
              for (const [actionId, l] of listings)
                sock.write(`Action: ${l.action}\r\nActionID: ${actionId}\r\n\r\n`);
              sock.write("Action: ListCommands\r\nActionID: doctor-commands\r\n\r\n");
              continue;
            }
            sock.write("Action: Logoff\r\nActionID: doctor-2\r\n\r\n");
            resolveResult({
              ok: false,
              detail: `${where}: login refused for ${target.username} (${amiGet(frame, "Message") ?? "no reason given"})`,
              fix: "check username and secret in [pbx.ami] against manager.conf, and its permit/deny lines",
            });
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

/** The logged-in result, judged by what the user may write: a user that may not control calls fails. */
function withPermissions(
  loggedIn: string,
  commands: AmiFrame | null,
  endpoints: PbxEndpointList,
): AmiProbeResult {
  const control = controlPermissions(commands);
  const routing = routingPermissions(commands);
  return {
    ok: control.ok !== false,
    detail: `${loggedIn}; ${control.detail}`,
    ...(control.fix === undefined ? {} : { fix: control.fix }),
    endpoints,
    ...(routing.ok === false ? { warning: { detail: routing.detail, fix: routing.fix ?? "" } } : {}),
  };
}

/** A frame of a list action's answer: the Response, an item, or the closing `…Complete` event. */
function collect(listing: Listing, frame: AmiFrame): void {
  if (listing.response === null) {
    if (amiGet(frame, "Response") === undefined) return;
    listing.response = frame;
    if (amiGet(frame, "Response")?.toLowerCase() !== "success")
      listing.answer = { ok: true, value: { response: frame, items: [], complete: null } };
    return;
  }
  if (
    amiGet(frame, "EventList")?.toLowerCase() === "complete" ||
    amiGet(frame, "Event")?.endsWith("Complete")
  ) {
    listing.answer = {
      ok: true,
      value: { response: listing.response, items: listing.items, complete: frame },
    };
  } else if (listing.items.length < 100_000) {
    listing.items.push(frame);
  }
}
