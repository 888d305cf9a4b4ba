// A FastAGI client that speaks as Asterisk's res_agi.c does (asterisk/asterisk @ f0c1c1a:
// launch_netscript, setup_env, run_agi, parse_args, agi_handle_command, handle_setvariable,
// handle_getvariable), for testing the box's FastAGI server without an Asterisk:
// - every line is its own write, as each ast_agi_send() is its own write(2);
// - `agi_network: yes`, `agi_network_script: <path after the host>` (when there is one), then
//   setup_env's lines in its order, `agi_arg_N`, and a blank line;
// - each command line is parsed like parse_args (quotes, backslash escapes) and answered as the
//   handlers answer: SET VARIABLE → `200 result=1`; the wrong number of arguments → the 520 usage
//   block; GET VARIABLE → `200 result=1 (value)` or `200 result=0`; anything else →
//   `510 Invalid or unknown command`;
// - a hangup sends `HANGUP` in-band (AGISIGHUP unset); the session goes on reading commands as
//   run_agi does (SET VARIABLE is allowed on a dead channel) unless AGIEXITONHANGUP is set;
// - the session ends when the server closes the socket: AGISTATUS is SUCCESS (HANGUP after a
//   hangup, FAILURE when the connection fails); Asterisk then writes `HANGUP` once more.
// Asterisk itself waits on the socket without any time limit (ms = -1): `giveUpMs` only keeps a
// broken test from hanging, and a session that reaches it says so (`closedBy: "nobody"`).
import { connect, type Socket } from "node:net";

export interface AgiCall {
  readonly port: number;
  /** The path and query after the host: `route?did=74951112233`; "" for none. */
  readonly script: string;
  /** Overrides of setup_env's values, by name without `agi_` (`callerid`, `dnid`…). */
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** The caller hangs up after this many commands were answered (0: right after the environment). */
  readonly hangupAfter?: number;
  /** AGIEXITONHANGUP=yes: Asterisk leaves at once after the hangup. */
  readonly exitOnHangup?: boolean;
  /** Send only the first N environment lines and then nothing (a half-written environment). */
  readonly stopAfterEnvLines?: number;
  /** Raw bytes to send instead of the environment (garbage). */
  readonly raw?: string;
  readonly giveUpMs?: number;
}

export interface AgiSessionResult {
  readonly agiStatus: "SUCCESS" | "FAILURE" | "HANGUP";
  /** The channel's variables the server set. */
  readonly variables: Readonly<Record<string, string>>;
  /** Every command line received, verbatim. */
  readonly commands: readonly string[];
  /** Every reply written, verbatim. */
  readonly replies: readonly string[];
  readonly closedBy: "server" | "nobody";
  /** From connect to the server's close. */
  readonly elapsedMs: number;
}

/** setup_env's order (res_agi.c), with the values a PJSIP inbound call has. */
export function environment(port: number, script: string, env: Readonly<Record<string, string>> = {}) {
  const base: [string, string][] = [
    ["request", `agi://127.0.0.1:${port}/${script}`],
    ["channel", "PJSIP/trunk-0000002b"],
    ["language", "ru"],
    ["type", "PJSIP"],
    ["uniqueid", "1746044688.69"],
    ["version", "22.2.0"],
    ["callerid", "79161234567"],
    ["calleridname", "unknown"],
    ["callingpres", "0"],
    ["callingani2", "0"],
    ["callington", "0"],
    ["callingtns", "0"],
    ["dnid", "74951112233"],
    ["rdnis", "unknown"],
    ["context", "branchbox-inbound"],
    ["extension", "74951112233"],
    ["priority", "9"],
    ["enhanced", "0.0"],
    ["accountcode", ""],
    ["threadid", "140202580211456"],
  ];
  return base.map(([k, v]) => `agi_${k}: ${env[k] ?? v}\n`);
}

/** parse_args (res_agi.c): words split on blanks, `"…"` grouping, `\` escaping the next character. */
export function parseArgs(line: string): string[] {
  const argv: string[] = [];
  let cur: string | null = null;
  let quoted = false;
  let escaped = false;
  for (const ch of line) {
    if (ch === '"' && !escaped) {
      quoted = !quoted;
      if (quoted && cur === null) cur = "";
      continue;
    }
    if ((ch === " " || ch === "\t") && !quoted && !escaped) {
      if (cur !== null) argv.push(cur);
      cur = null;
      continue;
    }
    if (ch === "\\" && !escaped) {
      escaped = true;
      continue;
    }
    cur = (cur ?? "") + ch;
    escaped = false;
  }
  if (cur !== null) argv.push(cur);
  return argv;
}

const SETVAR_USAGE = " Usage: SET VARIABLE <variablename> <value>\n\tSets a variable to the current channel.";

export function runAgiSession(call: AgiCall): Promise<AgiSessionResult> {
  const started = performance.now();
  const variables: Record<string, string> = {};
  const commands: string[] = [];
  const replies: string[] = [];
  return new Promise((resolve) => {
    let dead = false;
    let settled = false;
    let buffer = "";
    const socket: Socket = connect({ host: "127.0.0.1", port: call.port });
    socket.setNoDelay(true);
    const done = (closedBy: AgiSessionResult["closedBy"], failure = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(giveUp);
      // run_agi: after the script completed, a FastAGI session gets `HANGUP` (send_sighup).
      if (!socket.destroyed) socket.write("HANGUP\n", () => socket.destroy());
      resolve({
        agiStatus: failure ? "FAILURE" : dead ? "HANGUP" : "SUCCESS",
        variables,
        commands,
        replies,
        closedBy,
        elapsedMs: performance.now() - started,
      });
    };
    const giveUp = setTimeout(() => done("nobody"), call.giveUpMs ?? 2_000);
    const reply = (text: string) => {
      replies.push(text);
      socket.write(text);
    };
    const hangup = () => {
      dead = true;
      socket.write("HANGUP\n");
      if (call.exitOnHangup) done("nobody");
    };
    let connected = false;
    // launch_netscript: a refused or failed connection is AGISTATUS=FAILURE, and the dialplan goes on.
    socket.on("error", () => done("server", !connected));
    socket.on("connect", () => {
      connected = true;
      if (call.raw !== undefined) return void socket.write(call.raw);
      const lines = ["agi_network: yes\n"];
      if (call.script !== "") lines.push(`agi_network_script: ${call.script}\n`);
      lines.push(...environment(call.port, call.script, call.env));
      (call.args ?? []).forEach((arg, i) => {
        lines.push(`agi_arg_${i + 1}: ${arg}\n`);
      });
      lines.push("\n");
      for (const line of lines.slice(0, call.stopAfterEnvLines ?? lines.length)) socket.write(line);
      if (call.hangupAfter === 0) hangup();
    });
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let cut = buffer.indexOf("\n");
      while (cut >= 0) {
        const line = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 1);
        commands.push(line);
        const argv = parseArgs(line);
        const words = argv.map((w) => w.toLowerCase());
        if (words[0] === "set" && words[1] === "variable") {
          if (argv.length !== 4)
            reply(
              `520-Invalid command syntax.  Proper usage follows:\n${SETVAR_USAGE}\n520 End of proper usage.\n`,
            );
          else {
            variables[argv[2] as string] = argv[3] as string;
            reply("200 result=1\n");
          }
        } else if (words[0] === "get" && words[1] === "variable" && argv.length === 3) {
          const value = variables[argv[2] as string];
          reply(value === undefined ? "200 result=0\n" : `200 result=1 (${value})\n`);
        } else if (dead) {
          reply("511 Command Not Permitted on a dead channel or intercept routine\n");
        } else {
          reply("510 Invalid or unknown command\n");
        }
        if (!dead && call.hangupAfter !== undefined && commands.length >= call.hangupAfter) hangup();
        cut = buffer.indexOf("\n");
      }
    });
    socket.on("end", () => done("server"));
    socket.on("close", () => done("server", !connected));
  });
}

/** The environment lines Asterisk sent in a debug log (`AGI Tx >> …` up to the blank one), verbatim. */
export function environmentFromLog(log: string): string[] {
  const lines: string[] = [];
  for (const row of log.split("\n")) {
    const at = row.indexOf("AGI Tx >>");
    if (at < 0) continue;
    const text = row.slice(at + "AGI Tx >>".length).replace(/^ /, "");
    lines.push(`${text}\n`);
    if (text === "") break;
  }
  return lines;
}
