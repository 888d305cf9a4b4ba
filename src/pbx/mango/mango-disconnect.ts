import type { LegEndCause } from "../../domain/call/pbx-event.ts";

/**
 * Why a leg that never answered ended, from Mango's `disconnect_reason` (VPBX API "Коды
 * результата"; control-rules §3.7). An unknown code is read by its class (1090 → 10xx, 2219 →
 * 22xx). An answered leg always ends `normal`: what ended a talk does not change its ending.
 *
 * - 1110 the caller hung up while it rang → `cancelled`;
 * - 1111 no answer in time, 1162 queue timeout, 1170 ended by the forwarding scheme (it rang out
 *   and the call went on) → `no-answer`;
 * - 1121 busy, 1122 rejected, 1123 do-not-disturb → `busy`;
 * - 1182 intercepted by another operator, 1183 a new operator assigned → `answered-elsewhere`;
 * - 1181 ended by an external system's command → `cancelled`;
 * - 113x unreachable, 115x black/white list, 116x group failures, 119x inactive, and every
 *   2xxx (billing), 3xxx (bad request), 4xxx (cannot: 42xx unreachable), 5xxx (5001 overload,
 *   5003 technical) → `failed`;
 * - any other 1xxx (a normal end) or no code → `normal` (the assembler then calls it missed).
 */
export function causeOfDisconnect(reason: number | null, answered: boolean): LegEndCause {
  if (answered || reason === null) return "normal";
  switch (reason) {
    case 1110:
    case 1181:
      return "cancelled";
    case 1111:
    case 1162:
    case 1170:
      return "no-answer";
    case 1121:
    case 1122:
    case 1123:
      return "busy";
    case 1182:
    case 1183:
      return "answered-elsewhere";
  }
  if (reason >= 2000) return "failed";
  const group = Math.floor(reason / 10);
  if (group === 113 || group === 115 || group === 116 || group === 119) return "failed";
  return "normal";
}
