import type { Config } from "../config/schema.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { NumberRules } from "../domain/rules/phone-number.ts";
import {
  decideRoute,
  type RouteDecision,
  type RoutedClient,
  type RoutingSettings,
  type RoutingSnapshot,
  routingSnapshot,
} from "../domain/rules/routing.ts";
import type {
  RoutedCall,
  RouteExplanation,
  RouteQuestion,
  RoutingSource,
} from "../domain/rules/routing-port.ts";
import type { RulesFacts } from "../domain/rules/rules-types.ts";
import type { RosterToday } from "../domain/rules/whereabouts.ts";
import type { Logger } from "../log/logger.ts";
import { rosterToday } from "./call-command-target.ts";
import type { RosterPort } from "./roster-port.ts";

/** `[numbers]` as the rules read it. */
export function numberRules(config: Config): NumberRules {
  return {
    countryCode: config.numbers.country_code,
    nationalDigits: config.numbers.national_digits,
    nationalPrefix: config.numbers.national_prefix,
    internationalPrefixes: config.numbers.international_prefixes,
    trunkPrefixes: config.numbers.trunk_prefixes,
  };
}

/** `[rules]` as the routing reads it. */
export function routingSettings(config: Config): RoutingSettings {
  return {
    ringSeconds: config.rules.responsible_ring_seconds,
    fallback: config.rules.responsible_fallback === "" ? null : config.rules.responsible_fallback,
  };
}

export interface RoutingServiceOptions {
  readonly roster: RosterPort;
  /** Every client of HQ's directory with their responsible (read again after each directory change). */
  readonly clients: () => readonly { number: string; name: string; responsibleEmployeeId: string | null }[];
  readonly facts: RulesFacts;
  readonly numbers: NumberRules;
  readonly settings: RoutingSettings;
  readonly log: Logger;
  /** A routing decision the PBX reported carrying out, with its reason (kept for the call's page). */
  readonly onRouted?: (explanation: RouteExplanation) => void;
  /** How long a view of the roster is reused between changes (shifts also close by the clock). */
  readonly rosterTtlMs?: number;
}

/** How many decisions are kept for "why did the PBX ring 104?" (by the caller channel's uniqueid). */
const KEEP_DECISIONS = 1000;

/**
 * The routing the PBX adapters read (RoutingSource): the roster's view of today, HQ's client
 * directory and the rules' facts, all held in memory, so a FastAGI caller never waits on the disk.
 * The directory is read again after each directory change (`clientsChanged`), the roster's view
 * after each roster or staff change (`changed`) and at most `rosterTtlMs` later anyway.
 */
export class RoutingService implements RoutingSource {
  private clients = new Map<string, RoutedClient>();
  private today: { view: RosterToday; at: Instant } | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly recent = new Map<string, RouteDecision>();
  private readonly unsubscribeFacts: () => void;

  constructor(private readonly options: RoutingServiceOptions) {
    this.loadClients();
    this.unsubscribeFacts = options.facts.subscribe(() => this.changed());
  }

  decide(question: RouteQuestion, at: Instant): RouteDecision {
    let decision: RouteDecision;
    try {
      decision = decideRoute({
        caller: question.caller,
        at,
        numbers: this.options.numbers,
        clientOf: (e164) => this.clients.get(e164) ?? null,
        today: this.rosterAt(at),
        facts: this.options.facts,
        settings: this.options.settings,
      });
    } catch (error) {
      this.options.log.error("routing decision failed: the PBX's own route", { error });
      decision = { kind: "pbx-route", rule: "R2.6", reason: "the box could not decide: the PBX's own route" };
    }
    if (question.uniqueId !== null) {
      this.recent.set(question.uniqueId, decision);
      if (this.recent.size > KEEP_DECISIONS) this.recent.delete(this.recent.keys().next().value as string);
    }
    return decision;
  }

  /**
   * The dialplan routed a call by a rule of the box: its reason is FastAGI's for that channel when
   * it asked, else the decision the same facts give now (what its database held).
   */
  routed(call: RoutedCall, at: Instant): void {
    try {
      const asked = this.recent.get(call.uniqueId);
      const reason =
        asked?.reason ?? this.decide({ caller: call.caller, did: null, uniqueId: null }, at).reason;
      this.options.onRouted?.({ callId: call.callId, at, rule: call.rule, target: call.target, reason });
    } catch (error) {
      this.options.log.error("routing: the PBX's report of a routed call was not kept", {
        callId: call.callId,
        error: String(error),
      });
    }
  }

  /** The decision the FastAGI server gave for a call's channel, while it is among the last 1,000. */
  decisionFor(uniqueId: string): RouteDecision | null {
    return this.recent.get(uniqueId) ?? null;
  }

  snapshot(at: Instant): RoutingSnapshot {
    return routingSnapshot(
      [...this.clients].map(([number, c]) => ({ number, responsibleEmployeeId: c.responsibleEmployeeId })),
      this.rosterAt(at),
      this.options.facts,
      this.options.settings,
      at,
    );
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The roster, the staff or the settings changed. */
  changed(): void {
    this.today = null;
    for (const listener of this.listeners) listener();
  }

  /** HQ's client directory changed. */
  clientsChanged(): void {
    this.loadClients();
    this.changed();
  }

  stop(): void {
    this.unsubscribeFacts();
    this.listeners.clear();
  }

  private loadClients(): void {
    try {
      this.clients = new Map(
        this.options
          .clients()
          .map((c) => [c.number, { name: c.name, responsibleEmployeeId: c.responsibleEmployeeId }]),
      );
    } catch (error) {
      // The last directory read stays: a storage error never ends the process.
      this.options.log.error("client directory not read for routing: the last one stays", { error });
    }
  }

  private rosterAt(at: Instant): RosterToday {
    const ttl = this.options.rosterTtlMs ?? 5_000;
    if (this.today === null || Math.abs(at - this.today.at) > ttl)
      this.today = { view: frozen(rosterToday(this.options.roster, at)), at };
    return this.today.view;
  }
}

/** The roster's view with its dedicated owners asked once each, so a decision never asks the roster again. */
function frozen(today: RosterToday): RosterToday {
  const owners = new Map<string, string | null>();
  for (const e of today.employees)
    if (e.extension !== null) owners.set(e.extension, today.dedicatedOwner(e.extension));
  return { ...today, dedicatedOwner: (ext) => owners.get(ext) ?? null };
}
