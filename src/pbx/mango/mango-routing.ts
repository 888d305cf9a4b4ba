import type { RoutingSource } from "../../domain/rules/routing-port.ts";
import type { Logger } from "../../log/logger.ts";
import type { MangoControl } from "./mango-control.ts";
import type { MangoLegChange } from "./mango-legs.ts";
import { mangoNumber } from "./mango-translate.ts";

export interface MangoRoutingOptions {
  readonly routing: RoutingSource;
  readonly control: Pick<MangoControl, "route">;
  readonly log: Logger;
  readonly now: () => number;
  /** How long a route may take to be confirmed (default 10 s): past it Mango's own scheme goes on. */
  readonly deadlineMs?: number;
  /** How many entries are remembered as asked about (default 10,000). */
  readonly remember?: number;
}

const WAITING = new Set(["ivr", "queue"]);

/**
 * One command id per entry, so a route is sent at most once per call even across a restart:
 * HQ sends a commandId at most once. Hashed, as an entry_id may be 128 bytes.
 */
export const routeCommandId = (entryId: string): string =>
  `route-${new Bun.CryptoHasher("sha256").update(entryId).digest("hex").slice(0, 32)}`;

/**
 * R2.6 on Mango Office (control-rules §7.3): an inbound call's first leg Appeared in the IVR or a
 * queue asks the box's routing (R2.6, R4.6, R4.7, from memory); a decision that names a target
 * (the responsible manager's extension where they are today) becomes one `route` of that leg to
 * the extension, and Mango then follows that employee's card (schedule, dial algorithm). Once the
 * route is confirmed it is reported `routed`, so /admin/calls/<id> explains it; an R4.7 decision
 * (the manager is absent) sends nothing and is reported with no target. Anything else (not a
 * client, no manager) sends nothing: Mango's own scheme. If the box or HQ is slow or down, the
 * call goes on by Mango's own scheme: the failure mode wanted. Asked once per entry.
 */
export function mangoRouting(options: MangoRoutingOptions): (change: MangoLegChange) => void {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const remember = options.remember ?? 10_000;
  const asked = new Set<string>();
  const log = options.log.child({ component: "mango-routing" });

  return ({ leg, event, first }) => {
    if (!first || event.state !== "Appeared" || !WAITING.has(event.location ?? "")) return;
    if (event.from.extension !== null || asked.has(leg.entryId)) return;
    asked.add(leg.entryId);
    while (asked.size > remember) asked.delete(asked.values().next().value as string);
    const at = options.now();
    const caller = mangoNumber(event.from.number);
    const decision = options.routing.decide({ caller, did: event.to.lineNumber, uniqueId: leg.callId }, at);
    const call = { callId: leg.entryId, uniqueId: leg.callId, caller, rule: decision.rule };
    if (decision.kind === "pbx-route") {
      if (decision.rule === "R4.7") options.routing.routed({ ...call, target: null }, at);
      return;
    }
    void options.control
      .route({
        commandId: routeCommandId(leg.entryId),
        deadline: at + deadlineMs,
        callId: leg.entryId,
        to: decision.target,
      })
      .then((result) => {
        if (result.ok) options.routing.routed({ ...call, target: decision.target }, options.now());
        else
          log.warn("R2.6: the route was not carried out; Mango's own scheme goes on", {
            callId: leg.entryId,
            code: result.error.code,
            reason: result.error.message,
          });
      });
  };
}
