// A bare dialog-info watcher over sip.js: one Subscriber (Event: dialog) per extension on the
// lab's WebSocket, every NOTIFY accepted, its dialogs read with saxes and logged with the arrival
// time. It is the lab's own eye: the lab test checks Kamailio and the phones with it, and the SIP
// benchmark counts raw NOTIFY arrivals with it beside the box's source. It is not the product's
// source (src/pbx/sip/): no reconnect, no refresh logic beyond sip.js's own.
import { SaxesParser } from "saxes";
import { Subscriber, UserAgent } from "sip.js";

export interface DialogState {
  readonly callId: string;
  /** Lower-cased: trying, proceeding, early, confirmed, terminated. */
  readonly state: string;
  readonly direction?: string;
  readonly remote?: string;
}

export interface Notify {
  readonly ext: string;
  /** performance.now() at arrival. */
  readonly at: number;
  readonly dialogs: readonly DialogState[];
  readonly bodyBytes: number;
  /** Set when the body is not well-formed XML (saxes's message); `dialogs` is then empty. */
  readonly malformed?: string;
}

export interface DialogWatch {
  readonly notifies: readonly Notify[];
  /**
   * Resolves with the call-id of the first dialog of `ext` that moves INTO `state` after the
   * `since` mark (a notifies.length): ended dialogs linger in every NOTIFY for ~15 s, so only a
   * change counts.
   */
  waitForState(ext: string, state: string, since: number, timeoutMs?: number): Promise<string>;
  /** The states each (ext, call-id) went through, in arrival order, repeats folded. */
  history(ext: string, callId: string): string[];
  stop(): Promise<void>;
}

export async function watchDialogs(options: {
  wsUrl: string;
  domain: string;
  extensions: readonly string[];
  onNotify?: (notify: Notify) => void;
  /** The watcher's own AOR user (default "900"). */
  user?: string;
}): Promise<DialogWatch> {
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${options.user ?? "900"}@${options.domain}`),
    transportOptions: { server: options.wsUrl },
    logLevel: "error",
    logBuiltinEnabled: false,
  });
  await ua.start();
  const notifies: Notify[] = [];
  const states = new Map<string, string[]>();
  const listeners = new Set<() => void>();
  const subscribers: Subscriber[] = [];
  for (const ext of options.extensions) {
    const target = UserAgent.makeURI(`sip:${ext}@${options.domain}`);
    if (!target) throw new Error(`bad extension ${ext}`);
    const subscriber = new Subscriber(ua, target, "dialog", {
      expires: 600,
      extraHeaders: ["Accept: application/dialog-info+xml"],
    });
    subscriber.delegate = {
      onNotify: (notification) => {
        notification.accept();
        const body = notification.request.body ?? "";
        let dialogs: DialogState[] = [];
        let malformed: string | undefined;
        try {
          dialogs = readDialogs(body);
        } catch (error) {
          malformed = error instanceof Error ? error.message : String(error);
        }
        const notify = { ext, at: performance.now(), dialogs, bodyBytes: body.length, malformed };
        notifies.push(notify);
        for (const d of notify.dialogs) {
          const key = `${ext} ${d.callId}`;
          const seen = states.get(key) ?? [];
          if (seen.at(-1) !== d.state) seen.push(d.state);
          states.set(key, seen);
        }
        options.onNotify?.(notify);
        for (const listener of listeners) listener();
      },
    };
    subscribers.push(subscriber);
  }
  await Promise.all(subscribers.map((s) => s.subscribe()));

  return {
    notifies,
    waitForState(ext, state, since, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const before = new Map<string, string>();
        for (const n of notifies.slice(0, since))
          if (n.ext === ext) for (const d of n.dialogs) before.set(d.callId, d.state);
        let scanned = since;
        const check = () => {
          for (; scanned < notifies.length; scanned++) {
            const n = notifies[scanned] as Notify;
            if (n.ext !== ext) continue;
            for (const d of n.dialogs) {
              if (d.state === state && before.get(d.callId) !== state) return done(() => resolve(d.callId));
              before.set(d.callId, d.state);
            }
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no dialog of ${ext} entered ${state} within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    history: (ext, callId) => [...(states.get(`${ext} ${callId}`) ?? [])],
    async stop() {
      await Promise.all(subscribers.map((s) => s.unsubscribe().catch(() => {})));
      await ua.stop();
    },
  };
}

/**
 * The <dialog> elements of a dialog-info document: call-id, state, direction, remote identity.
 * Throws on a body that is not well-formed XML (an undeclared entity included).
 */
export function readDialogs(xml: string): DialogState[] {
  if (xml.trim() === "") return [];
  const dialogs: DialogState[] = [];
  const parser = new SaxesParser();
  let current: { callId: string; direction?: string; state: string; remote?: string } | undefined;
  const path: string[] = [];
  let text = "";
  parser.on("opentag", (tag) => {
    const name = localName(tag.name);
    path.push(name);
    text = "";
    if (name === "dialog") {
      const attrs = tag.attributes as Record<string, string>;
      current = { callId: attrs["call-id"] ?? attrs.id ?? "", direction: attrs.direction, state: "" };
    }
  });
  parser.on("text", (t) => {
    text += t;
  });
  parser.on("closetag", (tag) => {
    const name = localName(tag.name);
    const parent = path.at(-2);
    if (current && name === "state" && parent === "dialog") current.state = text.trim().toLowerCase();
    if (current && name === "identity" && parent === "remote") current.remote = text.trim();
    if (name === "dialog" && current) {
      dialogs.push(current);
      current = undefined;
    }
    path.pop();
  });
  parser.write(xml).close();
  return dialogs;
}

const localName = (name: string) => name.slice(name.indexOf(":") + 1);
