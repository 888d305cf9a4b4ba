import type { Database } from "bun:sqlite";
import type { PhoneConfig } from "../config/phones-section.ts";
import type { DomainError, Result } from "../domain/errors.ts";
import { fail, ok } from "../domain/errors.ts";
import { type PhoneEvent, readPhoneEvent } from "../domain/phones/action-urls.ts";
import {
  applyPhoneEvent,
  type PhoneState,
  PICKUP_WINDOW_MS,
  pickedUpBy,
  UNKNOWN_PHONE,
} from "../domain/phones/phone-state.ts";
import type { Instant } from "../domain/roster/types.ts";
import { sameSecret } from "../lib/token-auth.ts";
import type { Logger } from "../log/logger.ts";
import { phoneEventStore } from "../store/phone-event-store.ts";

/** Accepted events are kept this long: the states are rebuilt from them, and "who picked up" reads them. */
export const PHONE_EVENTS_KEEP_MS = 7 * 24 * 60 * 60_000;

/** A box that runs for months still keeps only PHONE_EVENTS_KEEP_MS: older events go this often. */
const PRUNE_EVERY_MS = 60 * 60_000;

export type PhoneRefusal = "PHONE.UNKNOWN_TOKEN" | "PHONE.WRONG_ADDRESS" | "PHONE.UNKNOWN_EVENT";

/** One request of a phone, as the HTTP edge saw it. The token is NEVER logged or kept. */
export interface PhoneReport {
  readonly token: string;
  /** The socket's peer address; null when there is none to check (refused). */
  readonly address: string | null;
  readonly event: string;
  readonly query: (name: string) => string | undefined;
}

/** One configured phone as /admin and the desk screen show it. */
export interface PhoneView {
  readonly phone: PhoneConfig;
  readonly state: PhoneState;
  /** Requests with this phone's token refused, by code (a wrong address, an event the box does not read). */
  readonly refused: Readonly<Partial<Record<PhoneRefusal, number>>>;
}

export interface PhonesStatus {
  readonly phones: readonly PhoneView[];
  /** Requests with no phone's token. */
  readonly unknownToken: number;
}

/**
 * Issue 17: desk phones' action URLs, ENRICHMENT ONLY. Always: a report counts only with a
 * configured phone's token (compared in constant time) from that phone's address; a refused one
 * changes nothing but its counter; an accepted one is stored before the phone's state changes.
 * Never: a call created, ended or changed from a phone's report.
 */
export class Phones {
  readonly #phones: readonly PhoneConfig[];
  readonly #store;
  readonly #log: Logger;
  readonly #states = new Map<string, PhoneState>();
  readonly #refused = new Map<string, Partial<Record<PhoneRefusal, number>>>();
  readonly #listeners = new Set<() => void>();
  #unknownToken = 0;
  #prunedAt: Instant;

  constructor(db: Database, phones: readonly PhoneConfig[], log: Logger, now: Instant) {
    this.#phones = phones;
    this.#store = phoneEventStore(db);
    this.#log = log;
    this.#store.prune(now - PHONE_EVENTS_KEEP_MS);
    this.#prunedAt = now;
    const known = new Set(phones.map((p) => p.id));
    for (const stored of this.#store.since(now - PHONE_EVENTS_KEEP_MS)) {
      if (!known.has(stored.phoneId)) continue;
      const event: PhoneEvent = {
        kind: stored.kind,
        remote: stored.remote,
        remoteName: stored.remoteName,
        account: null,
        phoneCallId: null,
        cancelReason: null,
      };
      this.#states.set(stored.phoneId, applyPhoneEvent(this.#state(stored.phoneId), event, stored.at));
    }
  }

  /** Checks and applies one report; a refusal is counted and logged (without the token). */
  report(report: PhoneReport, at: Instant): Result<PhoneEvent, DomainError<PhoneRefusal>> {
    // Every phone's token is compared, so the time taken says nothing of which one came close.
    let phone: PhoneConfig | undefined;
    for (const candidate of this.#phones) if (sameSecret(report.token, candidate.token)) phone = candidate;
    if (phone === undefined) {
      this.#unknownToken += 1;
      this.#log.warn("phone action URL with an unknown token refused", {
        code: "PHONE.UNKNOWN_TOKEN",
        address: report.address,
      });
      return fail("PHONE.UNKNOWN_TOKEN", "no phone in [[phones]] has that token");
    }
    if (report.address === null || plainAddress(report.address) !== phone.address) {
      const message = `phone ${phone.id}'s URLs are accepted only from ${phone.address}`;
      return this.#refuse(phone, "PHONE.WRONG_ADDRESS", report.address, message);
    }
    const read = readPhoneEvent(phone.vendor, report.event, report.query);
    if (!read.ok) {
      const message = `a ${phone.vendor} phone has no event "${report.event.slice(0, 40)}" the box reads`;
      return this.#refuse(phone, read.code, report.address, message);
    }
    this.#store.add({
      phoneId: phone.id,
      at,
      kind: read.event.kind,
      remote: read.event.remote,
      remoteName: read.event.remoteName,
    });
    this.#states.set(phone.id, applyPhoneEvent(this.#state(phone.id), read.event, at));
    if (at - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#store.prune(at - PHONE_EVENTS_KEEP_MS);
      this.#prunedAt = at;
    }
    for (const listener of this.#listeners) listener();
    return ok(read.event);
  }

  /** Called after every accepted event (the desk screen redraws); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): PhonesStatus {
    return {
      phones: this.#phones.map((phone) => this.#view(phone)),
      unknownToken: this.#unknownToken,
    };
  }

  /** The phones registered as `extension` (a desk's), with their states. */
  atExtension(extension: string): PhoneView[] {
    return this.#phones.filter((p) => p.extension === extension).map((phone) => this.#view(phone));
  }

  /**
   * Which phone picked up a leg the PBX answered at `extension` at `answeredAt` (control-rules
   * §4.4: by extension and time, within PICKUP_WINDOW_MS); null when no phone of it said so.
   */
  pickedUp(extension: string, answeredAt: Instant): PhoneConfig | null {
    const phones = this.#phones.filter((p) => p.extension === extension);
    if (phones.length === 0) return null;
    const answers = this.#store.answers(
      phones.map((p) => p.id),
      answeredAt - PICKUP_WINDOW_MS,
      answeredAt + PICKUP_WINDOW_MS,
    );
    const best = pickedUpBy(answers, answeredAt);
    return best === null ? null : (phones.find((p) => p.id === best.phoneId) ?? null);
  }

  #state(id: string): PhoneState {
    return this.#states.get(id) ?? UNKNOWN_PHONE;
  }

  #view(phone: PhoneConfig): PhoneView {
    return { phone, state: this.#state(phone.id), refused: { ...this.#refused.get(phone.id) } };
  }

  #refuse(
    phone: PhoneConfig,
    code: PhoneRefusal,
    address: string | null,
    message: string,
  ): Result<never, DomainError<PhoneRefusal>> {
    const counts = this.#refused.get(phone.id) ?? {};
    counts[code] = (counts[code] ?? 0) + 1;
    this.#refused.set(phone.id, counts);
    this.#log.warn("phone action URL refused", { code, phone: phone.id, address });
    return fail(code, message);
  }
}

/** "::ffff:10.0.0.21" (an IPv4 peer on a dual-stack socket) → "10.0.0.21". */
function plainAddress(address: string): string {
  return address.toLowerCase().startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** What the HTTP edge, /admin and the desk screen use of the phones. */
export type PhonesPort = Pick<Phones, "report" | "status" | "atExtension" | "pickedUp" | "subscribe">;
