/** The fleet page's languages: Russian first, like the kiosk. */
export type FleetLang = "ru" | "en";

export const FLEET_LANGS: readonly FleetLang[] = ["ru", "en"];

const ru = {
  htmlLang: "ru",
  title: "Филиалы",
  loginTitle: "Вход в штаб-квартиру",
  tokenLabel: "Токен штаб-квартиры ([hq] token)",
  signIn: "Войти",
  signOut: "Выйти",
  wrongToken: "Токен не подошёл. Проверьте [hq] token в конфигурации штаб-квартиры и введите его снова.",
  locked: (minutes: number) =>
    `Слишком много неверных попыток с этого адреса. Попробуйте снова через ${minutes} мин.`,
  expired: "Сессия закончилась: войдите снова.",
  branch: "Филиал",
  state: "Связь",
  online: "на связи",
  offline: "не на связи",
  unknown: "нет данных о связи",
  since: "с",
  alert: (minutes: number) => `Не на связи дольше ${minutes} мин: проверьте питание и сеть филиала`,
  version: "Версия",
  backlog: "Очередь",
  draining: (left: number, peak: number) => `отправляет: осталось ${left} из ${peak}`,
  lastRecord: "Последняя запись",
  lag: "Отставание по потокам",
  commandsWaiting: "Команды в ожидании",
  waiting: (n: number) => `ждут пропущенных перед ними: ${n}`,
  noBranches: "Ни один филиал ещё не выходил на связь. Проверьте [hq] в конфигурации филиалов и брокер MQTT.",
  never: "—",
  back: "← Все филиалы",
  desks: "Стойки и смена сейчас",
  noDesks: "Ни одной отметки о смене за последние часы.",
  holdsPhone: "у телефона",
  onBreak: "на перерыве",
  onShiftSince: "на смене с",
  nobodyAtPhone: "у телефона никого",
  calls: "Последние звонки",
  noCalls: "Звонков пока нет.",
  callWhen: "Когда",
  callDirection: "Направление",
  callFrom: "Откуда",
  callTo: "Куда",
  callOutcome: "Итог",
  callOwner: "Ответственный",
  errors: "Последние ошибки",
  noErrors: "Ошибок нет.",
  unreadable: (n: number) => `Записей, которые не удалось прочитать: ${n}`,
  notFound: "Такого филиала штаб-квартира не знает. Вернитесь к списку филиалов.",
  mango: "Mango Office",
  mangoCounts: (stored: number, unrouted: number, unpublished: number) =>
    `Событий принято: ${stored}; ни одного филиала: ${unrouted}; ждут отправки в филиал: ${unpublished}`,
  mangoUnrouted: "События ни одного филиала",
  mangoUnroutedHelp:
    "Номер линии или добавочный этих событий не указан ни в одном [[hq.mango.branches]]: добавьте его в lines или extensions нужного филиала. Новые события пойдут в филиал; эти останутся здесь.",
  mangoNoUnrouted: "Все события нашли свой филиал.",
  mangoKind: "Событие",
  mangoReceived: "Получено",
  mangoWhat: "Линия, добавочные",
  mangoSweeps: "Сверки по статистике Mango (пропущенные события)",
  mangoNoSweeps: "Сверок ещё не было.",
  mangoSweepWindow: "Окно",
  mangoSweepState: "Состояние",
  mangoSweepFound: (rows: number | null, added: number | null) =>
    `строк: ${rows ?? "—"}, новых звонков: ${added ?? "—"}`,
  mangoCommands: "Команды филиалов в Mango",
  crm: "CRM",
  crmCounts: (pending: number, done: number, parked: number) =>
    `ждут отправки: ${pending}, переданы: ${done}, остановлены: ${parked}`,
  crmParked: "Остановленные шаги",
  crmParkedHelp:
    "CRM отказала в этих шагах, и сама по себе она откажет снова. Исправьте причину, затем нажмите «Повторить». Следующие звонки того же клиента ждут за остановленным шагом, чтобы попасть в CRM по порядку.",
  crmNoParked: "Остановленных шагов нет.",
  crmStep: "Шаг",
  crmRecord: "Запись",
  crmReason: "Причина",
  crmRetry: "Повторить",
  crmRetried: "Шаг снова в очереди.",
  crmNotParked: "Этот шаг уже не остановлен.",
  crmUnmapped: "Сотрудник без пользователя CRM: добавьте его в [[hq.crm.users]] и перезапустите HQ.",
  direction: { inbound: "входящий", outbound: "исходящий", internal: "внутренний" } as Record<string, string>,
  outcome: {
    answered: "отвечен",
    missed: "пропущен",
    voicemail: "голосовая почта",
    busy: "занято",
    failed: "не состоялся",
  } as Record<string, string>,
} as const;

type FleetMessages = {
  readonly [K in keyof typeof ru]: (typeof ru)[K] extends string ? string : (typeof ru)[K];
};

const en: FleetMessages = {
  htmlLang: "en",
  title: "Branches",
  loginTitle: "Headquarters sign-in",
  tokenLabel: "Headquarters token ([hq] token)",
  signIn: "Sign in",
  signOut: "Sign out",
  wrongToken: "That token did not match. Check [hq] token in headquarters' configuration and enter it again.",
  locked: (minutes) => `Too many wrong attempts from this address. Try again in ${minutes} min.`,
  expired: "Your session ended: sign in again.",
  branch: "Branch",
  state: "Link",
  online: "online",
  offline: "offline",
  unknown: "no presence yet",
  since: "since",
  alert: (minutes) => `Offline longer than ${minutes} min: check the branch's power and network`,
  version: "Version",
  backlog: "Backlog",
  draining: (left, peak) => `sending: ${left} of ${peak} left`,
  lastRecord: "Last record",
  lag: "Lag per stream",
  commandsWaiting: "Commands waiting",
  waiting: (n) => `${n} waiting for the records before them`,
  noBranches: "No branch has reported yet. Check [hq] in the branches' configuration and the MQTT broker.",
  never: "—",
  back: "← All branches",
  desks: "Desks and who is on shift now",
  noDesks: "No shift recorded in the last hours.",
  holdsPhone: "has the phone",
  onBreak: "on a break",
  onShiftSince: "on shift since",
  nobodyAtPhone: "nobody has the phone",
  calls: "Recent calls",
  noCalls: "No calls yet.",
  callWhen: "When",
  callDirection: "Direction",
  callFrom: "From",
  callTo: "To",
  callOutcome: "Outcome",
  callOwner: "Owner",
  errors: "Last errors",
  noErrors: "No errors.",
  unreadable: (n) => `Records that could not be read: ${n}`,
  notFound: "Headquarters knows no such branch. Go back to the list of branches.",
  mango: "Mango Office",
  mangoCounts: (stored, unrouted, unpublished) =>
    `Events accepted: ${stored}; of no branch: ${unrouted}; waiting to go to their branch: ${unpublished}`,
  mangoUnrouted: "Events of no branch",
  mangoUnroutedHelp:
    "No [[hq.mango.branches]] lists the line or extension of these events: add it to the right branch's lines or extensions. New events will go to that branch; these stay here.",
  mangoNoUnrouted: "Every event found its branch.",
  mangoKind: "Event",
  mangoReceived: "Received",
  mangoWhat: "Line, extensions",
  mangoSweeps: "Checks against Mango's statistics (missed events)",
  mangoNoSweeps: "No check has run yet.",
  mangoSweepWindow: "Window",
  mangoSweepState: "State",
  mangoSweepFound: (rows, added) => `rows: ${rows ?? "—"}, new calls: ${added ?? "—"}`,
  mangoCommands: "Branches' commands to Mango",
  crm: "CRM",
  crmCounts: (pending, done, parked) => `waiting: ${pending}, delivered: ${done}, stopped: ${parked}`,
  crmParked: "Stopped steps",
  crmParkedHelp:
    "The CRM refused these steps and would refuse them again as they are. Fix the cause, then press Retry. The same client's later calls wait behind a stopped step, so that they reach the CRM in order.",
  crmNoParked: "No stopped steps.",
  crmStep: "Step",
  crmRecord: "Record",
  crmReason: "Reason",
  crmRetry: "Retry",
  crmRetried: "The step is queued again.",
  crmNotParked: "This step is no longer stopped.",
  crmUnmapped: "An employee with no CRM user: add them to [[hq.crm.users]] and restart HQ.",
  direction: { inbound: "inbound", outbound: "outbound", internal: "internal" },
  outcome: { answered: "answered", missed: "missed", voicemail: "voicemail", busy: "busy", failed: "failed" },
};

export type FleetText = FleetMessages;

/** `?lang=en` picks English; anything else is Russian. */
export function fleetText(lang: FleetLang): FleetText {
  return lang === "en" ? en : ru;
}

export function fleetLang(query: string | undefined): FleetLang {
  return query === "en" ? "en" : "ru";
}

/** How long ago, in the page's words: "5 мин", "3 ч 10 мин", "2 д". */
export function ago(ms: number, lang: FleetLang): string {
  const [s, m, h, d] = lang === "ru" ? ["с", "мин", "ч", "д"] : ["s", "min", "h", "d"];
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec} ${s}`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} ${m}`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} ${h} ${min % 60} ${m}`;
  return `${Math.floor(hours / 24)} ${d}`;
}

/** An instant as HQ's own clock shows it (HQ serves branches in many time zones; it says its own). */
export function at(ms: number, lang: FleetLang): string {
  return new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", {
    day: "2-digit",
    month: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(ms);
}
