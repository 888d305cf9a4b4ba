import type { CrmStepCounts, CrmStepStore, ParkedCrmStep } from "../crm/crm-step-store-port.ts";
import { at, type FleetLang, type FleetText } from "./fleet-text.ts";

/** What the CRM page shows (`[hq.crm]`, issue 19): the steps by state and the parked ones. */
export interface FleetCrm {
  readonly counts: CrmStepCounts;
  readonly parked: readonly ParkedCrmStep[];
}

/** The CRM page's data and its retry button (`/fleet/crm`), on HQ's step store. */
export interface FleetCrmDeps {
  view(): Promise<FleetCrm>;
  /** Unparks a step and wakes the runner; false when it was not parked. */
  retry(id: number): Promise<boolean>;
}

const PARKED = 200;

export function fleetCrm(
  steps: Pick<CrmStepStore, "counts" | "parked" | "unpark">,
  kick: () => void,
  now: () => number,
): FleetCrmDeps {
  return {
    view: async () => ({ counts: await steps.counts(), parked: await steps.parked(PARKED) }),
    async retry(id) {
      const moved = await steps.unpark(id, now());
      if (moved) kick();
      return moved;
    },
  };
}

export function CrmBody(props: { t: FleetText; lang: FleetLang; crm: FleetCrm; notice: string | null }) {
  const { t, lang, crm } = props;
  return (
    <>
      {props.notice !== null && (
        <p class="hq-help" data-testid="crm-notice">
          {props.notice}
        </p>
      )}
      <p data-testid="crm-counts">{t.crmCounts(crm.counts.pending, crm.counts.done, crm.counts.parked)}</p>
      <h2>{t.crmParked}</h2>
      {crm.parked.length === 0 ? (
        <p class="hq-empty">{t.crmNoParked}</p>
      ) : (
        <>
          <p class="hq-help">{t.crmParkedHelp}</p>
          <table class="hq-table" data-testid="crm-parked">
            <thead>
              <tr>
                <th>{t.crmRecord}</th>
                <th>{t.crmStep}</th>
                <th>{t.crmReason}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {crm.parked.map((s) => (
                <tr data-testid={`crm-parked-${s.id}`}>
                  <td>
                    {s.recordKey} ({s.recordId})
                  </td>
                  <td>{s.name}</td>
                  <td>
                    <strong>{s.code}</strong>: {s.reason}
                    {s.code === "CRM.UNMAPPED_EMPLOYEE" && <div class="hq-error">{t.crmUnmapped}</div>}
                    <div class="hq-empty">
                      {at(s.parkedAt, lang)}, ×{s.attempts}
                    </div>
                  </td>
                  <td>
                    <form method="post" action={`/fleet/crm/retry/${s.id}?lang=${lang}`}>
                      <button class="hq-btn" type="submit" data-testid={`crm-retry-${s.id}`}>
                        {t.crmRetry}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
