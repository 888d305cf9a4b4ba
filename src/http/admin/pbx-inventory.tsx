import type { PbxSourceStatus } from "../../domain/call/pbx-event.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDateTime } from "../ui/branch-time.ts";

/** Who an extension belongs to, as branch IT names it (desks, employees, `[pbx.ami] handsets`). */
export type MappedTo = (extension: string) => string | null;

/**
 * Next to a PBX source's link: the endpoints whose channels the box could not place, each with the
 * fix in words, and the PBX's own endpoint list judged mapped / not mapped / trunk-like, so branch
 * IT sees at install time what a call would reveal only later.
 */
export function PbxInventory(props: {
  name: string;
  status: PbxSourceStatus;
  t: Messages;
  timezone: string;
  mappedTo: MappedTo;
}) {
  const { name, status, t, timezone } = props;
  if (status.unplaced === undefined && status.endpoints === undefined) return null;
  const unplaced = status.unplaced ?? [];
  const list = status.endpoints ?? null;
  return (
    <div data-testid={`pbx-inventory-${name}`}>
      <h3>{t.adminPbxUnplacedTitle}</h3>
      {unplaced.length === 0 ? (
        <p class="muted">{t.adminPbxUnplacedNone}</p>
      ) : (
        <ul data-testid={`pbx-unplaced-${name}`}>
          {unplaced.map((u) => (
            <li class="warn" data-testid={`pbx-unplaced-${u.endpoint}`}>
              {t.adminPbxUnplaced(u.endpoint)}
              <span class="muted">
                {" "}
                ({t.adminPbxUnplacedSeen(u.seen, formatDateTime(u.lastSeen, timezone), u.context, u.callerId)}
                ) {u.context === null ? "" : t.adminPbxUnplacedTrunk(u.context)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3>{t.adminPbxEndpointsTitle}</h3>
      {list === null ? (
        <p class="muted">{t.adminPbxEndpointsNone}</p>
      ) : (
        <>
          {list.queries.map((q) => (
            <p class={q.outcome === "listed" || q.outcome === "absent" ? "muted" : "warn"}>
              {t.adminPbxEndpointsQuery(q.action, q.outcome, q.detail)}
            </p>
          ))}
          <p class="muted" data-testid={`pbx-endpoint-counts-${name}`}>
            {t.adminPbxEndpointsCounts(
              list.counts.mapped,
              list.counts.guessed,
              list.counts.trunk,
              list.counts.unmapped,
            )}
          </p>
          <table class="dense" data-testid={`pbx-endpoints-${name}`}>
            <tbody>
              {list.endpoints.map((e) => (
                <tr data-testid={`pbx-endpoint-${e.endpoint}`}>
                  <td>{e.endpoint}</td>
                  <td class={e.kind === "unmapped" ? "warn" : undefined}>
                    {t.adminPbxEndpointKind(
                      e.kind,
                      e.why,
                      props.mappedTo(e.endpoint.slice(e.endpoint.indexOf("/") + 1)),
                    )}
                  </td>
                  <td class="muted">{e.state ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
