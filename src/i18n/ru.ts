import type { CaptureStatus } from "../domain/call/pbx-event.ts";
import type { OwnerWhy } from "../domain/roster/types.ts";
import { alternatives, lateText } from "./list.ts";

/** Bytes as megabytes with one decimal. */
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1).replace(".", ",");

/**
 * Russian, the default language of the kiosk and the admin page. `en.ts` must carry every key
 * (the `Messages` type below is what it is checked against).
 */
export const ru = {
  htmlLang: "ru",
  languageName: "Русский",

  // Home
  free: "свободен",
  desks: "Телефоны",
  extension: (ext: string) => `доб. ${ext}`,
  holdsPhone: "держит телефон",
  onBreak: "на перерыве",
  onShiftTitle: "Сейчас на смене",
  nobodyOnShift: "На смене пока никого нет.",
  onShiftAt: (desk: string, since: string) => `${desk}, с ${since}`,
  sinceTime: (time: string) => `с ${time}`,
  elsewhereTitle: "Сегодня в других филиалах",
  elsewhereToday: (branch: string, since: string) => `сегодня в филиале «${branch}», с ${since}`,
  pickYourName: "Нажмите на своё имя",
  clockLabel: "Время",

  // PIN pad
  enterPin: (name: string) => `${name}, введите PIN`,
  pinLabel: "PIN",
  pinClear: "Стереть",
  pinOk: "OK",
  back: "Назад",
  cancel: "Отмена",
  pinWrong: (left: number) =>
    `Неверный PIN. ${left === 1 ? "Осталась 1 попытка" : `Осталось попыток: ${left}`}.`,
  pinLocked: (minutes: number, until: string) =>
    `Слишком много неверных попыток. PIN снова заработает в ${until} (через ${minutes} ${minutesRu(minutes)}), или менеджер может снять блокировку сейчас.`,
  unlockByManager: "Менеджер снимет блокировку",
  unlockTitle: (name: string) => `Снять блокировку PIN: ${name}`,
  unlockChooseManager: "Менеджер, нажмите на своё имя и введите свой PIN.",
  unlockNoManager: "В списке нет менеджеров. Блокировку может снять IT филиала на странице /admin.",
  unlockManagerPin: (manager: string, locked: string) =>
    `${manager}: ваш PIN, чтобы снять блокировку ${locked}`,
  unlockNotManager: "Снять блокировку может только менеджер.",
  unlockDone: (manager: string) => `Блокировка снята (${manager}). Введите свой PIN.`,
  pinBack: "Стереть последнюю цифру",
  pinUnknownEmployee: "Такого сотрудника нет в списке. Вернитесь назад и выберите своё имя.",
  pinEmpty: "Введите PIN цифрами и нажмите OK.",
  pinRateLimited: "Слишком много попыток с этого экрана. Подождите минуту и попробуйте снова.",

  // Actions
  hello: (name: string) => `${name}, что делаем?`,
  stateOffShift: "Вы не на смене.",
  stateOnShift: (desk: string, since: string) => `Вы на смене: ${desk}, с ${since}.`,
  stateHoldsPhone: "Телефон у вас.",
  stateOnBreak: "Вы на перерыве.",
  checkInAt: (desk: string) => `Начать смену: ${desk}`,
  checkOut: "Закончить смену",
  breakStart: "Уйти на перерыв",
  breakEnd: "Вернуться с перерыва",
  handoverAt: (desk: string, ext: string) => `Взять телефон: ${desk} (${ext})`,
  done: "Готово, на главный экран",
  managerTitle: "Смены сотрудников",
  managerHint:
    "Закройте смену, если сотрудник забыл её закончить, или исправьте время конца смены за вчера и сегодня — и те, что бокс закрыл сам.",
  closeShift: (name: string) => `Закрыть смену: ${name}`,
  endedAt: "Смена закончилась в (необязательно)",
  nobodyElseOnShift: "Больше никого на смене нет.",

  // Confirmations
  flashCheckIn: (name: string, desk: string, time: string) => `${name}: смена началась в ${time} (${desk}).`,
  flashCheckOut: (name: string, time: string, worked: string) =>
    `${name}: смена закончена в ${time}. Сегодня отработано ${worked}. Хорошего вечера!`,
  flashBreakStart: (name: string, time: string) => `${name}: перерыв с ${time}.`,
  flashBreakEnd: (name: string, time: string) => `${name}: с возвращением, перерыв закончен в ${time}.`,
  flashHandover: (name: string, desk: string, time: string) => `${name}: телефон «${desk}» у вас с ${time}.`,
  flashCloseShift: (name: string, time: string) => `Смена сотрудника ${name} закрыта: конец в ${time}.`,

  // Errors at the action screen
  ticketExpired: "Время на действие вышло. Нажмите на своё имя и введите PIN ещё раз.",
  badRequest: "Что-то пошло не так. Вернитесь на главный экран и попробуйте ещё раз.",
  badEndedAt: "Время укажите так: ЧЧ:ММ, например 18:30.",
  endedBeforeStart: "Это время раньше начала смены. Проверьте время.",
  errUnknownEmployee: "Сотрудник не найден. Попросите менеджера проверить список сотрудников.",
  errUnknownDesk: "Такого рабочего места нет. Выберите место из списка.",
  errAlreadyOnShift: "Вы уже на смене на этом месте.",
  errNotOnShift: "Смена не начата. Сначала начните смену.",
  errAlreadyOnBreak: "Вы уже на перерыве.",
  errNotOnBreak: "Вы не на перерыве.",
  errAlreadyHoldsPhone: "Телефон уже у вас.",
  errBadTime: "Неверное время: оно не может быть в будущем или слишком давно.",
  errNotAManager: "Закрыть чужую смену может только менеджер.",
  errStorage: "Не удалось сохранить. Попробуйте ещё раз; если не выйдет — позвоните в IT.",
  errDiskFull:
    "Диск бокса заполнен: сейчас ничего не сохраняется и PIN не принимается. Позвоните в IT филиала.",
  errStorageDown:
    "Бокс не может записать данные: сейчас ничего не сохраняется и PIN не принимается. Позвоните в IT филиала.",
  notFound: "Такой страницы нет.",
  toHome: "На главный экран",

  // Call cards (kiosk and desk screens)
  callsNowTitle: "Звонки сейчас",
  noCallsNow: "Звонков сейчас нет.",
  noPbx: "Телефония не подключена к боксу: звонки здесь не появятся. Скажите IT филиала.",
  pbxDown: "Нет связи с АТС: новые звонки сейчас не видны. IT филиала видит это на странице /admin.",
  cardWaiting: "В очереди",
  cardDialling: "Набор номера",
  cardAnswered: "Разговор",
  cardMissed: "Пропущен",
  hiddenNumber: "номер скрыт",
  waitingFor: "ждёт",
  ringingAt: (ext: string) => `звонит на доб. ${ext}`,
  talkingSince: (time: string) => `с ${time}`,
  cardOwner: (name: string, ext: string) => `${name}, доб. ${ext}`,
  cardUnmappedAnswer: (ext: string, names: string) =>
    `Ответили на доб. ${ext}, он никому не назначен. Карточка — старшему менеджеру: ${names}`,
  missedTitle: "Пропущенные — для менеджеров",
  missedMore: (n: number): string => `и ещё ${n} — весь список в разделе «Звонки» у администратора`,
  noMissed: "Пропущенных нет.",
  missedAt: (time: string) => `в ${time}`,
  missedOn: (ext: string) => `на доб. ${ext}`,

  // Desk screen
  deskScreenTitle: (desk: string, ext: string) => `${desk}, доб. ${ext}`,
  deskPhoneWith: (name: string, since: string) => `Телефон у: ${name}, с ${since}`,
  deskPhoneNobody: "Телефон сейчас ни у кого: начните смену на киоске.",
  deskCardsTitle: "Звонки этого телефона",
  deskUnknown: (id: string) => `Рабочего места «${id}» нет в настройках филиала. Проверьте адрес экрана.`,
  deskKnownList: "Экраны мест:",

  // Admin (branch IT)
  adminTitle: "Кто владеет номерами — сейчас",
  adminOwnersHint: "Для каждого номера: кто получает его звонки сейчас и почему.",
  adminExtension: "Номер",
  adminDesk: "Место",
  adminOwner: "Владелец",
  adminRule: "Правило",
  adminReason: "Почему",
  adminSince: "С",
  adminNobody: "никто",
  adminDedicated: "личный",
  adminChangesTitle: "Изменения смен за сегодня",
  adminNoChanges: "Сегодня изменений не было.",
  adminTime: "Время",
  adminWhat: "Что",
  adminEmployee: "Сотрудник",
  adminSource: "Источник",
  adminActor: "Кто внёс",
  adminRecordedAt: "Записано",
  adminAuditTitle: "Журнал аудита",
  adminPinsTitle: "PIN-коды киоска",
  adminPinsNoneLocked: "Сейчас никто не заблокирован.",
  adminPinsLockedUntil: "Заблокирован до",
  adminPinsUnlock: "Снять блокировку",
  adminPinsWrongToday: "Неверных PIN сегодня",
  adminPinsNoneWrong: "Сегодня неверных PIN не было.",
  adminNoAudit: "Записей нет.",
  adminAction: "Действие",
  adminDetail: "Подробности",
  adminVersion: (v: string) => `branchbox ${v}`,
  adminRefresh: "Обновить",
  adminCallsLink: "Звонки",
  adminBackToOwners: "Кто владеет номерами",
  callPageTitle: (at: string, direction: string, from: string) => `Звонок ${at}: ${direction}, ${from}`,
  callStoryTitle: "Как шёл звонок",
  callRouteTitle: "Маршрут по правилам бокса",
  callRouteRang: (target: string) => `АТС позвонила на ${target}`,
  callRouteNobody: "АТС никого не звала по правилу, звонок пошёл своим маршрутом",
  callRangFor: (s: number) => `звонил ${s} с`,
  callAnsweredAfter: (s: number) => `ответ через ${s} с`,
  callPopsTitle: "Кому показали карточку",
  callPopsNone: "Карточку никому не показывали.",
  popReasonText: (reason: "answered" | "answered-unmapped" | "missed") =>
    reason === "answered"
      ? "ответил(а) на звонок"
      : reason === "answered-unmapped"
        ? "старший менеджер: ответили с номера, который никому не назначен"
        : "пропущенный звонок — всем менеджерам",
  callBackToCalls: "Ко всем звонкам",
  callIntentsTitle: "Что отправлено в CRM",
  callIntentsUndecided:
    "Решения для CRM по этому звонку ещё нет (звонок записан до обновления или его ещё разбирают).",
  callIntentsNone: (why: string) => `В CRM ничего не отправлено: ${why}`,
  intentNobody: "никто (старший менеджер не назначен)",
  intentClientCreate: (number: string, who: string) => `создать клиента ${number}, ответственный — ${who}`,
  intentOrderCreate: (who: string) => `создать заказ, ответственный — ${who}`,
  intentTask: (status: "completed" | "open", purpose: string, who: string) =>
    `${status === "completed" ? "выполненная задача" : "задача"} для ${who}: ${
      {
        "call-logged": "звонок в истории клиента",
        "review-call": "прослушать разговор с вашим клиентом",
        distribute: "распределить пропущенный звонок",
        "call-back": "перезвонить клиенту",
        "check-settings": "проверить настройки номера и назначить ответственного",
      }[purpose] ?? purpose
    }`,
  intentClientReopen: "вернуть клиента в работу",
  intentClientReassign: (from: string, to: string) => `передать клиента: был ${from}, теперь ${to}`,
  intentUnsorted: (number: string, pipeline: string | null) =>
    `в «Неразобранное»: ${number}, воронка ${pipeline ?? "по умолчанию"}`,
  callNotFound: (id: string) =>
    `Звонка ${id} нет среди завершённых. Откройте список звонков и выберите звонок там.`,
  callsTitle: (day: string) => `Звонки за ${day}`,
  callsHint: "Завершённые звонки, новые сверху. Время — по часовому поясу филиала.",
  filterDay: "День",
  filterEmployee: "Сотрудник",
  filterOutcome: "Итог",
  filterAny: "все",
  filterApply: "Показать",
  csvDownload: "Скачать CSV",
  callsNone: "Звонков с такими условиями нет.",
  callsLimited: (n: number) => `Показаны последние ${n}. Уточните фильтр или скачайте CSV.`,
  callsBadFilter: (what: string) => `Неверный фильтр (${what}). Исправьте его и нажмите «Показать».`,
  colTime: "Время",
  colDirection: "Направление",
  colFrom: "Откуда",
  colTo: "Куда",
  colOutcome: "Итог",
  colOwner: "Владелец",
  colRule: "Правило",
  colLegs: "Плечи",
  colTransfer: "Перевод",
  colDuration: "Разговор",
  dirInbound: "входящий",
  dirOutbound: "исходящий",
  dirInternal: "внутренний",
  outcomeAnswered: "отвечен",
  outcomeMissed: "пропущен",
  outcomeVoicemail: "голосовая почта",
  outcomeBusy: "занято",
  outcomeFailed: "не соединился",
  ruleFallback: "запасной сотрудник",
  ruleResponsible: "ответственный за клиента",
  endingCompleted: "разговор",
  endingTransferred: "перевёл",
  endingMissed: "не ответил",
  endingBusy: "занято",
  endingFailed: "ошибка",
  endingVoicemail: "голосовая почта",
  endingCancelled: "отменён",
  endingLive: "идёт",
  transferMark: "перевод",
  transferFrom: (ext: string) => `переведён с доб. ${ext}`,
  partOfMark: (id: string) => `часть звонка ${id}`,
  csvCallId: "ID звонка",
  csvPartOf: "Часть звонка",
  csvStarted: (tz: string) => `Начало (${tz})`,
  csvAnswered: (tz: string) => `Ответ (${tz})`,
  csvEnded: (tz: string) => `Конец (${tz})`,
  csvTalkSeconds: "Разговор, с",
  csvFromNumber: "Откуда: номер",
  csvFromExt: "Откуда: доб.",
  csvToNumber: "Куда: номер",
  csvToExt: "Куда: доб.",
  csvDid: "Набранный номер (DID)",
  csvOwnerId: "Владелец: ID",
  csvRecording: "Запись",
  csvBadFilter: (what: string) => `Неверный фильтр: ${what}`,
  ruleDedicated: "личный номер",
  ruleDeskCheckin: "смена на месте",
  ruleUnmapped: "не назначен",
  adminSyncTitle: "Центральный офис",
  adminSyncOff:
    "Связь с центральным офисом не настроена ([mqtt] url пуст): всё хранится здесь и уйдёт, когда её настроят.",
  adminSyncLink: (state: string, hqOnline: boolean): string =>
    state === "connected"
      ? hqOnline
        ? "на связи"
        : "брокер на связи, центральный офис не отвечает — записи ждут"
      : state === "backing-off"
        ? "нет связи с брокером, повтор"
        : state === "connecting"
          ? "подключение"
          : "остановлено",
  adminSyncEpoch: (epoch: number, reconnects: number): string =>
    `эпоха ${epoch}, переподключений ${reconnects}`,
  adminSyncStream: "Поток",
  adminSyncBacklog: "Ждут подтверждения",
  adminSyncAcked: "Подтверждено до №",
  adminSyncProgress: "Отправка",
  adminSyncDone: "всё отправлено",
  adminDownTitle: "Из центрального офиса",
  adminDownStream: (stream: string, through: number, applied: number): string =>
    `${({ staff: "сотрудники", clients: "клиенты", settings: "настройки", commands: "команды" } as Record<string, string>)[stream] ?? stream}: до №${through} (с запуска ${applied})`,
  adminDownClients: (version: number, count: number, stale: boolean): string =>
    `справочник клиентов: версия ${version}, ${count} номеров${stale ? ", ждёт полной выгрузки" : ""}`,
  adminDownRejected: "Отклонено",
  adminPbxTitle: "АТС",
  adminPbxNone: (sections: readonly string[]): string =>
    `АТС не подключена: смены работают, звонки не видны. Добавьте раздел ${alternatives(
      sections.map((s) => `[${s}]`),
      "или",
    )} в конфигурацию.`,
  adminPbxSource: "Источник",
  adminPbxState: "Связь",
  adminPbxEvents: "Событий",
  adminPbxBadFrames: "Ошибок разбора",
  adminPbxStateText: (state: string): string =>
    ({
      connecting: "подключение",
      connected: "на связи",
      "backing-off": "нет связи, повтор",
      stopped: "остановлено",
      "auth-failed": "неверный логин или пароль AMI",
    })[state] ?? state,
  adminPbxSubscriptionText: (target: string, state: string): string =>
    `${target}: ${({ subscribing: "подписка", active: "под наблюдением", retrying: "нет подписки, повтор", stopped: "остановлено" })[state] ?? state}`,
  adminPbxPipeline: (received: number, duplicates: number, rejected: number, recorded: number): string =>
    `С запуска: получено событий ${received}, повторов ${duplicates}, отклонено ${rejected}, записано звонков ${recorded}.`,
  adminPbxLastRejection: "Последнее отклонённое",
  adminGapsTitle: "Перерывы в связи с АТС",
  /** A call the box did not see live, read back from the PBX's records `lateMs` after it ended. */
  callRecovered: (via: string, lateMs: number): string =>
    `прочитан из ${via === "cdr" ? "CDR" : "CEL"} АТС позже на ${lateText(lateMs, "мин", "ч")}: бокса не было на связи`,
  adminGapsNone: "Перерывов не было: бокс видел все звонки.",
  adminGapBackfill: "дозагрузка по запросу",
  adminGapLost: "связь потеряна",
  adminGapBack: "восстановлена",
  adminGapLength: "длительность",
  adminGapResult: "что с звонками за это время",
  adminGapText: (
    state: string,
    calls: number,
    via: string | null,
    detail: string | null,
    skipped = 0,
  ): string => {
    switch (state) {
      case "recovered":
        return `прочитано из ${via === "cdr" ? "CDR (меньше подробностей)" : "CEL"} АТС: звонков ${calls}${skipped > 0 ? `; не удалось прочитать строк: ${skipped}` : ""}`;
      case "unread":
        return `не прочитано (${detail ?? "нет ответа"}); бокс попробует ещё раз. Проверьте доступ к журналу АТС.`;
      case "no-history":
        return "звонки за это время могли потеряться: у этого подключения к АТС нет журнала звонков";
      default:
        return "читается…";
    }
  },
  adminPbxDropped: (source: string, orphans: number, kinds: string, sentTwice: number): string =>
    `${source}: отброшено событий о звонках, начала которых не было видно: ${orphans}${kinds === "" ? "" : ` (${kinds})`}; присланных АТС дважды: ${sentTwice}. Звонков из них не создано.`,
  adminPbxCapture: (source: string, capture: CaptureStatus): string =>
    capture.on
      ? `${source}: запись обмена с АТС для поддержки включена: ${capture.dir}, хранится ${mb(capture.keptBytes)} из ${mb(capture.maxBytes)} МБ (файлов: ${capture.files}), старые удаляются.`
      : `${source}: запись обмена с АТС остановлена: ${capture.reason ?? "причина неизвестна"}. Связь с АТС работает; запись снова начнётся после перезапуска.`,
  adminPbxUnplacedTitle: "Каналы, которые не удалось отнести к телефону",
  adminPbxUnplacedNone: "Все каналы, которые видел бокс, отнесены к телефонам или транкам.",
  adminPbxUnplaced: (endpoint: string): string =>
    `${endpoint}: неизвестный внутренний номер: добавьте его к месту или сотруднику либо в \`[pbx.ami] handsets\``,
  adminPbxUnplacedSeen: (
    seen: number,
    last: string,
    context: string | null,
    callerId: string | null,
  ): string =>
    `каналов: ${seen}, последний ${last}${context === null ? "" : `, контекст ${context}`}${callerId === null ? "" : `, номер ${callerId}`}`,
  adminPbxUnplacedTrunk: (context: string): string =>
    `Если это транк, добавьте его контекст \`${context}\` в \`[pbx.ami] trunk_contexts\`.`,
  adminPbxEndpointsTitle: "Абоненты АТС (её собственный список)",
  adminPbxEndpointsNone: "Список ещё не прочитан: его спрашивают после входа в AMI.",
  adminPbxEndpointsQuery: (action: string, outcome: string, detail: string): string =>
    `${action}: ${({ listed: `абонентов ${detail}`, absent: `нет на этой АТС (${detail})`, denied: `пользователю AMI не разрешено: нужен класс system (${detail})`, failed: `не прочитан: ${detail}` } as Record<string, string>)[outcome] ?? outcome}`,
  adminPbxEndpointsCounts: (mapped: number, guessed: number, trunk: number, unmapped: number): string =>
    `сопоставлено ${mapped}, по правилам FreePBX ${guessed}, похожи на транки ${trunk}, не сопоставлено ${unmapped}`,
  adminPbxEndpointKind: (kind: string, why: string | null, mappedTo: string | null): string =>
    ({
      mapped: `сопоставлен: ${mappedTo ?? "известный номер"}`,
      guessed: "считается телефоном по правилам FreePBX (profile)",
      trunk: `похож на транк (${why ?? ""})`,
      unmapped: "не сопоставлен: его звонки не будут видны как звонки сотрудника",
    })[kind] ?? kind,
  adminPbxMappedHandsets: "[pbx.ami] handsets",
  adminPbxMappedDesk: (name: string): string => `место «${name}»`,
  ownerWhy: (ext: string, why: OwnerWhy): string => {
    switch (why.kind) {
      case "desk-holder":
        return `${why.holderName} на смене на месте «${why.deskName}» и держит его телефон`;
      case "desk-nobody":
        return `${ext} — общий телефон места «${why.deskName}», и никто на смене его сейчас не держит${why.onBreakName === null ? "" : ` (${why.onBreakName} на перерыве)`}`;
      case "dedicated":
        return `${ext} — личный номер сотрудника ${why.holderName}`;
      case "several-profiles":
        return `${ext} указан в профилях: ${why.names.join(", ")}. Оставьте его одному сотруднику или сделайте местом`;
      case "unknown-extension":
        return `${ext} не принадлежит ни месту, ни сотруднику`;
    }
  },
  kindCheckIn: "начало смены",
  kindCheckOut: "конец смены",
  kindHandover: "взят телефон",
  kindBreakStart: "перерыв",
  kindBreakEnd: "конец перерыва",
  kindClosedElsewhere: "смена начата в другом филиале",
  kindCrmLogin: "вход в CRM",
  kindAutoClose: "смена закрыта автоматически",
  kindPhonePassed: "телефон перешёл",
  sourceKiosk: "киоск",
  sourceApi: "API",
  sourceManager: "исправление менеджера",
  sourceHq: "головной офис",
  sourceAutomatic: "автоматически",

  // Issue 14 (5, 6): what leaving does to the phone, confirmations, the manager's corrections
  worked: (hours: number, minutes: number) => (hours === 0 ? `${minutes} мин` : `${hours} ч ${minutes} мин`),
  yesterdayAt: (time: string) => `вчера в ${time}`,
  phoneGoesTo: (ext: string, desk: string, name: string) =>
    `Звонки на ${ext} (${desk}) будет принимать ${name}.`,
  phoneToNobody: (ext: string, desk: string) =>
    `На ${ext} (${desk}) никого не останется: звонки некому будет принять. Попросите коллегу взять телефон.`,
  phoneWentTo: (ext: string, name: string) => `Звонки на ${ext} теперь принимает ${name}.`,
  phoneNowNobody: (ext: string) => `На ${ext} сейчас никого: звонки некому принять.`,
  confirmCheckOutTitle: "Закончить смену?",
  confirmCheckOutState: (desk: string, since: string, worked: string) =>
    `Вы на смене: ${desk}, с ${since}. Сегодня отработано ${worked}.`,
  confirmCheckOutYes: "Да, закончить смену",
  notNow: "Нет, назад",
  shiftsTitle: "Смены за вчера и сегодня",
  shiftOpen: (desk: string, since: string) => `${desk}, с ${since} — на смене`,
  shiftClosed: (desk: string, from: string, to: string, how: string) => `${desk}, ${from} — ${to} (${how})`,
  endedByCheckOut: "закончил(а) сам(а)",
  endedByAuto: "закрыта автоматически",
  endedByElsewhere: "начата другая смена",
  endedByOtherBranch: "начата смена в другом филиале",
  correctShift: (name: string) => `Исправить: ${name}`,
  correctionTitle: (name: string) => `Конец смены: ${name}`,
  correctionShift: (desk: string, from: string) => `${desk}, смена с ${from}.`,
  correctionEndedNow: (to: string, how: string) => `Сейчас записан конец: ${to} (${how}).`,
  correctionStillOpen: "Смена ещё открыта.",
  correctionDay: "День",
  today: "Сегодня",
  yesterday: "Вчера",
  correctionTime: "Время конца смены",
  hourBack: "−1 ч",
  hourForward: "+1 ч",
  minutesBack: "−5 мин",
  minutesForward: "+5 мин",
  correctionReason: "Причина",
  reasonForgot: "Забыл(а) закончить смену",
  reasonLeftEarly: "Ушёл (ушла) раньше",
  reasonAutoClosed: "Смену закрыл бокс",
  reasonOther: "Другое",
  reasonNote: "Комментарий (необязательно)",
  correctionSave: "Сохранить конец смены",
  correctionRow: (name: string, desk: string, from: string) => `${name} (${desk}, смена с ${from}): `,
  endedAfterEnd: (to: string) =>
    `смена уже закончилась ${to}; исправление может только перенести конец раньше.`,
  endedInFuture: "это время ещё не наступило. Проверьте день и время.",
  pickReason: "выберите причину исправления.",
  shiftNotFound: "Этой смены больше нет в списке. Введите PIN ещё раз.",

  // Issue 16 (R4.1–R4.4, R4.7): "if I do not answer", a manager's forwarding and absences of anyone
  forwardingOpen: "Если я не отвечаю",
  staffAwayOpen: "Сотрудники: переадресация и отсутствия",
  forwardingTitleSelf: "Если я не отвечаю",
  forwardingTitleOther: (name: string) => `Если не отвечает: ${name}`,
  forwardingNow: (text: string) => `Сейчас: ${text}.`,
  forwardingTimeout: "Сколько ждать ответа",
  secondsValue: (n: number) => `${n} с`,
  secondsBack: "−30 с",
  secondsForward: "+30 с",
  forwardingAction: "Потом",
  actionBusy: "Сбросить с сигналом «занято»",
  actionMessage: "Сообщение «не может ответить»",
  actionForward: "Переадресовать коллеге или в отдел",
  actionVoicemail: "Голосовая почта",
  forwardTo: "Кому",
  departmentTarget: (name: string, ext: string) => `${name} (доб. ${ext})`,
  forwardingNotice: "Что услышит звонящий перед переадресацией",
  noticeDefault: "Стандартное уведомление",
  noticeCustom: "Своя запись",
  noticeNone: "Без уведомления",
  noticeRecording: "Название записи на АТС",
  forwardingSave: "Сохранить",
  forwardingReset: "Как по умолчанию",
  forwardingPickTarget: "выберите коллегу или отдел, куда переадресовать.",
  forwardingNameRecording: "впишите название записи или выберите другое уведомление.",
  forwardingRow: (name: string) => `${name}: `,
  flashForwarding: (name: string, text: string) => `${name}: если не ответит — ${text}. Сохранено.`,
  fwdDefault: (seconds: number) => `через ${seconds} с сигнал «занято» (по умолчанию)`,
  fwdAfter: (seconds: number, action: string) => `через ${seconds} с ${action}`,
  fwdBusy: "сброс с сигналом «занято»",
  fwdMessage: "сообщение «не может ответить»",
  fwdTo: (who: string) => `переадресация: ${who}`,
  fwdVoicemail: "голосовая почта",
  fwdNoticeDefault: ", перед ней стандартное уведомление",
  fwdNoticeCustom: (recording: string) => `, перед ней запись «${recording}»`,
  fwdNoticeNone: ", без уведомления",
  staffAwayTitle: "Переадресация и отсутствия",
  staffAwayHint:
    "Менеджер может изменить переадресацию любого сотрудника и внести отпуск, больничный или график.",
  awayVacation: "в отпуске",
  awaySick: "на больничном",
  awaySchedule: "не по графику",
  awayElsewhere: "сегодня в другом филиале",
  awayUntil: (when: string) => ` до ${when}`,
  notAway: "отсутствий нет",
  editForwarding: "Переадресация",
  editAbsences: "Отсутствия",
  absencesTitle: (name: string) => `Отсутствия: ${name}`,
  absencesNone: "Отпусков и больничных нет.",
  rangeText: (kind: string, first: string, last: string) => `${kind}: ${first} — ${last}`,
  kindVacation: "Отпуск",
  kindSick: "Больничный",
  fromHq: "из головного офиса",
  rangeRemove: "Удалить",
  addRange: "Добавить отпуск или больничный",
  firstDay: "Первый день",
  lastDay: "Последний день",
  dayBack: "−1 день",
  dayForward: "+1 день",
  weekBack: "−7 дней",
  weekForward: "+7 дней",
  rangeAdd: "Добавить",
  dayDate: (weekday: string, date: string) => `${weekday}, ${date}`,
  weekdayShort: (day: number) => ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][day - 1] ?? String(day),
  shortDate: (year: number, month: number, day: number) =>
    `${String(day).padStart(2, "0")}.${String(month).padStart(2, "0")}.${year}`,
  scheduleTitle: "График работы",
  scheduleNone: "Графика нет: когда звонить, решают смены.",
  scheduleDays: "Рабочие дни",
  scheduleFrom: "С",
  scheduleTo: "До",
  halfHourBack: "−30 мин",
  halfHourForward: "+30 мин",
  scheduleSave: "Сохранить график",
  scheduleClear: "Без графика",
  scheduleHours: (days: string, from: string, to: string) => `${days} ${from}–${to}`,
  schedulePickDays: "выберите хотя бы один рабочий день.",
  scheduleFromBeforeTo: "начало рабочего дня должно быть раньше конца.",
  flashRangeAdded: (name: string, text: string) => `${name}: ${text} — добавлено.`,
  flashRangeRemoved: (name: string, text: string) => `${name}: ${text} — удалено.`,
  flashSchedule: (name: string, text: string) => `${name}: график — ${text}. Сохранено.`,
  errBadAbsence:
    "Даты или часы не подходят: последний день не раньше первого, не больше года; часы не пересекаются. Исправьте и сохраните снова.",
  errBadForwarding:
    "Так переадресовать нельзя: выберите другого коллегу или отдел (не себя), ждать — от 30 до 300 секунд.",
  errUnknownAbsence:
    "Этой записи уже нет (её удалили, или её прислал головной офис — он меняет её сам). Откройте список заново.",
  auditForwarding: (employee: string, what: string, by: string): string =>
    `Переадресация, если не отвечает: ${employee} — ${what}. Кто изменил: ${by}.`,
  auditAbsence: (
    added: boolean,
    kind: string,
    employee: string,
    first: string,
    last: string,
    by: string,
  ): string => `${kind} ${added ? "внесён" : "удалён"}: ${employee}, ${first} — ${last}. Кто: ${by}.`,
  auditSchedule: (employee: string, hours: string | null, by: string): string =>
    `График работы: ${employee} — ${hours ?? "без графика"}. Кто изменил: ${by}.`,

  // Issue 14 (7): /admin in words — the audit log as sentences, the day picker, the CSV for Excel
  auditRoster: (
    kind: string,
    employee: string,
    desk: string | null,
    when: string,
    by: string,
    lateMs: number | null,
  ): string =>
    `${kind}: ${employee}${desk === null ? "" : `, место «${desk}»`}, ${when}. Кто внёс: ${by}${lateMs === null ? "" : `, на ${lateText(lateMs, "мин", "ч")} позже`}.`,
  auditPinUnlock: (employee: string, lockedUntil: string | null, by: string): string =>
    `Снята блокировка PIN: ${employee}${lockedUntil === null ? " (блокировки уже не было)" : ` (действовала до ${lockedUntil})`}. Кто снял: ${by}.`,
  auditUnknown: (action: string, detail: string, by: string | null): string =>
    `Запись «${action}»: ${detail}${by === null ? "" : `. Кто: ${by}`}.`,
  /** Who did it: a name with the way in, or the way in alone ("IT филиала" for /admin). */
  auditBy: (name: string | null, via: string): string => {
    const way =
      (
        {
          kiosk: "киоск",
          manager: "менеджер",
          api: "API",
          hq: "головной офис",
          admin: "страница /admin",
        } as Record<string, string>
      )[via] ?? via;
    if (name !== null) return `${name} (${way})`;
    return via === "admin" ? "IT филиала" : way;
  },
  auditReason: (reason: string, note: string | null): string =>
    `Причина: ${reason}${note === null ? "" : ` — «${note}»`}.`,
  auditRaw: "как записано",
  adminChangesOn: (day: string) => `Изменения смен за ${day}`,
  adminNoChangesOn: (day: string) => `За ${day} изменений смен не было.`,
  adminAuditOn: (day: string) => `Журнал аудита за ${day}`,
  adminNoAuditOn: (day: string) => `За ${day} записей в журнале нет.`,
  adminDayPrevious: "← Предыдущий день",
  adminDayNext: "Следующий день →",
  adminDayToday: "Сегодня",
  adminBadDay: (day: string) =>
    `«${day}» — не дата. Укажите день в виде ГГГГ-ММ-ДД (например, 2026-11-21); показан сегодняшний день.`,
  csvForExcel: "для Excel",
  csvDownloadComma: "CSV через запятую (для других программ)",

  // Home screen on a small kiosk (issue 14, items 3 and 10)
  nameSearchLabel: "Найти своё имя",
  nameSearchLetters: "Первая буква имени",
  nameSearchAll: "Все",
  nameSearchNone: "Никого не нашлось. Нажмите «Все», чтобы увидеть всех.",
  onShiftMark: "на смене",

  // Issue 14 (8): screens paired with the box.
  errNotPaired:
    "Этот экран не подключён к боксу: ничего не сохранено. Попросите у IT филиала код подключения со страницы /admin и введите его здесь.",
  errPairingCodeRefused:
    "Код не подошёл: он неверный, уже использован или устарел. Попросите у IT филиала новый код на странице /admin.",
  pairTitle: "Экран не подключён к боксу",
  pairHint:
    "Попросите IT филиала открыть /admin и нажать «Подключить экран». Введите код из 6 цифр, который там появится: он действует 10 минут.",
  pairCodeLabel: "Код подключения",
  pairOk: "Подключить",
  adminDevicesTitle: "Подключённые экраны",
  adminDevicesRule: (loopbackPaired: boolean): string =>
    `Киоск и экраны мест работают только на подключённых экранах.${loopbackPaired ? " Собственный экран бокса (localhost) подключён всегда." : ""}`,
  adminDevicesOpen:
    "Подключение выключено ([kiosk] require_pairing = false): киоском может пользоваться любое устройство в сети.",
  adminDevicesCode: (name: string, until: string): string => `Код для «${name}», действует до ${until}:`,
  adminDeviceName: "Название экрана",
  adminDeviceNameExample: "Ресепшен, киоск у входа",
  adminDeviceNameNeeded: "Назовите экран (до 80 символов), чтобы потом узнать его в списке.",
  adminDevicesNewCode: "Подключить экран",
  adminDevicesNone: "Ни один экран ещё не подключён.",
  adminDevicePaired: "Подключён",
  adminDeviceLastSeen: "Последний раз",
  adminDeviceRevoke: "Отключить",
  adminDeviceUnknown: "Такого экрана нет: возможно, его уже отключили.",

  // Issue 14, item 4: the kiosk when the box does not answer (rendered hidden by layout.tsx,
  // shown by web/kiosk.js, which has no messages of its own)
  offlineTitle: "Нет связи с боксом.",
  offlineBody: "На экране последнее известное состояние. Подключаюсь снова…",
  offlineNotRecorded:
    "Нет связи с боксом — ваша отметка не записана. Попробуйте ещё раз, когда связь вернётся.",
  offlineNoAnswer:
    "Бокс не ответил — отметка могла не записаться. Когда связь вернётся, проверьте табло и при необходимости повторите.",

  // Issue 15: the desk screen's call panel (seed 002, R2.1–R2.4) and the COMMAND.* sentences.
  panelTitle: "Панель звонков",
  panelTakeHint: (name: string) =>
    `Звонить, класть трубку и переводить звонки отсюда может ${name} — у кого телефон этого места — после PIN.`,
  panelTake: (name: string) => `Открыть панель: ${name}`,
  panelTakeNobody:
    "Панель звонков открывается тому, у кого телефон этого места. Сейчас телефон ни у кого: начните смену на киоске.",
  panelFor: (name: string) => `Панель звонков: ${name}`,
  panelClose: "Закрыть панель",
  panelInputLabel: "Номер или имя коллеги",
  panelHintEmpty: "Наберите номер или начните имя коллеги.",
  panelHintNumber: (number: string) => `Enter — позвонить на ${number}`,
  panelHintOne: (name: string, phone: string) => `Enter — позвонить: ${name} (доб. ${phone})`,
  panelHintOneNoPhone: (name: string) => `${name} не на смене: Enter ничего не сделает.`,
  panelHintMany: (count: string) => `Подходят ${count} — уточните: Enter ничего не сделает.`,
  panelHintNone: "Никого не нашлось. Наберите номер целиком.",
  panelHintTransferNumber: (number: string) => `Enter — перевести на ${number}`,
  panelHintTransferOne: (name: string, phone: string) => `Enter — перевести: ${name} (доб. ${phone})`,
  panelArmed: (name: string) => `Коснитесь ещё раз — перевести звонок: ${name}`,
  panelEnter: "Ввод",
  panelKeypadShow: "Цифры",
  panelKeypadLabel: "Цифры для номера",
  panelBack: "Стереть",
  panelClear: "Очистить",
  panelStaffTitle: "Коллеги",
  panelStaffNone: "Никого не нашлось.",
  panelWhereDesk: (desk: string, ext: string) => `${desk}, доб. ${ext}`,
  panelWhereOnBreak: (ext: string) => `на перерыве, доб. ${ext}`,
  panelWhereNoPhone: (desk: string) => `${desk}, без телефона`,
  panelWhereOnBreakNoPhone: "на перерыве, без телефона",
  panelWhereOff: "не на смене",
  cardHangup: "Положить трубку",
  cardDecline: "Отклонить",
  panelRingingBlind: "Звонок ещё не отвечен: он уйдёт коллеге сразу, без консультации.",
  cardTransfer: "Перевести",
  panelTransferTitle: (number: string) => `Перевод звонка ${number}: выберите коллегу или наберите номер.`,
  panelModeBlind: "Сразу (вслепую)",
  panelModeAttended: "С консультацией",
  panelModeLabel: "Как перевести",
  panelModeAttendedHint:
    "С консультацией: сначала поговорите с коллегой, клиент ждёт; положите трубку — и они соединятся. Коллега отказался — клиент вернётся к вам.",
  panelCancel: "Отмена",
  panelCancelTransfer: "Отменить перевод",
  panelNoLiveCall: "У этого места сейчас нет разговора, который можно перевести. Ничего не отправлено.",
  panelManyLiveCalls: "Разговоров несколько: нажмите «Перевести» на карточке нужного. Ничего не отправлено.",
  panelAmbiguous: (count: number) =>
    `Подходят ${count} — уточните имя или наберите номер целиком. Ничего не отправлено.`,
  panelNothing: "Никого не нашлось, и это не номер телефона. Ничего не отправлено.",
  panelColleagueNoPhone: (name: string) =>
    `${name} сейчас не на смене — звонок некому принять. Ничего не отправлено.`,
  panelClosedIdle:
    "Панель закрылась: долго не было касаний. Ничего не отправлено — откройте её снова и введите PIN.",
  cmdCall: (target: string) => `Звонок: ${target}`,
  cmdHangup: (number: string) => `Положить трубку: ${number}`,
  cmdTransfer: (number: string, target: string, attended: boolean) =>
    `Перевод ${number} → ${target}${attended ? " (с консультацией)" : ""}`,
  cmdCancelTransfer: (number: string) => `Отмена перевода ${number}`,
  cmdQueued: "принято, отправляю на АТС…",
  cmdSent: "отправлено на АТС…",
  cmdRinging: (ext: string) => `звонит ваш телефон (доб. ${ext}) — снимите трубку.`,
  cmdConnected: "соединено.",
  cmdDone: "готово.",
  cmdFailed: (reason: string) => `не получилось: ${reason}. Попробуйте ещё раз или сделайте это на телефоне.`,
  cmdExpired: "не успели: команда устарела, ничего не сделано. Попробуйте ещё раз.",
  cmdRefused: (reason: string) => `АТС отказала: ${reason}. Ничего не сделано.`,
  cmdNoReason: "причина не названа",
  cmdUnknown: "состояние команды неизвестно (бокс перезапускался?). Посмотрите на телефон.",
  errCommandBadInput: "Это не похоже на номер телефона: проверьте цифры. Ничего не отправлено.",
  errCommandIdReused:
    "Эта команда уже была отправлена с другими данными: ничего не сделано. Нажмите ещё раз.",
  errCommandNotOnShift: "Коллега сейчас не на смене — звонок некому принять. Ничего не отправлено.",
  errCommandUnknownEmployee: "Такого сотрудника нет в списке филиала. Ничего не отправлено: обновите экран.",
  errCommandUnknownCall: "Этого звонка уже нет: он закончился или ушёл другому. Ничего не сделано.",
  errCommandNotYourCall:
    "Панелью пользуется тот, у кого телефон этого места: ничего не сделано. Возьмите телефон на киоске и введите здесь свой PIN.",
  errCommandNoTransfer:
    "Отменять нечего: перевод с консультацией уже закончился (соединили, коллега отказался или его отменили). Ничего не отправлено.",
  errCommandNotAnswered:
    "Звонок ещё не отвечен: консультироваться пока не с кем. Ответьте на него или переведите без консультации.",
  errCommandUnsupported:
    "Телефонная станция филиала так не умеет: ничего не сделано. Сделайте это на самом телефоне.",
  errCommandNoPbx:
    "Бокс пока не может управлять звонками: ничего не отправлено. Наберите или переведите звонок на самом телефоне и скажите IT филиала.",
  // Issue 17: desk phones' action URLs (enrichment only).
  adminPhonesTitle: "Настольные телефоны",
  adminPhonesHint:
    "Только дополнение к данным АТС: кто снял трубку, «Не беспокоить», регистрация. Звонки записывает АТС, не телефоны. Адреса для настроек телефона — в docs/phones.md и ниже.",
  adminPhonesNone: "В [[phones]] нет ни одного телефона: их события не читаются.",
  adminPhonesUnknownToken: (n: number) => `Запросов с неизвестным токеном: ${n}`,
  adminPhoneCol: "Телефон",
  adminPhoneStateCol: "Состояние",
  adminPhoneLastCol: "Последнее событие",
  adminPhoneRefusedCol: "Отказано",
  adminPhoneUrls: (n: number) => `Адреса для настроек телефона (${n})`,
  phoneRegistered: "в сети",
  phoneUnregistered: "не зарегистрирован",
  phoneSilent: "ещё ничего не сообщал",
  phoneDnd: "не беспокоить",
  phoneLoggedOff: "учётная запись не активна",
  phoneIdle: "свободен",
  phoneRinging: (who: string) => `звонит ${who}`,
  phoneDialing: (who: string) => `набирает ${who}`,
  phoneTalking: (who: string) => `разговор с ${who}`,
  phoneSomeone: "неизвестный номер",
  phoneEventName: (kind: string) =>
    ({
      incoming: "входящий",
      outgoing: "исходящий",
      answered: "ответ",
      ended: "конец разговора",
      missed: "пропущенный",
      dnd_on: "«не беспокоить» включено",
      dnd_off: "«не беспокоить» выключено",
      log_on: "вход",
      log_off: "выход",
      registered: "регистрация",
      unregistered: "регистрация потеряна",
    })[kind] ?? kind,
  phoneRefusedAddress: (n: number) => `с чужого адреса: ${n}`,
  phoneRefusedEvent: (n: number) => `неизвестное событие: ${n}`,
  deskPhonesLine: (name: string, state: string) => `Телефон ${name}: ${state}`,
  callPickedUpOn: (phone: string, vendor: string, address: string) =>
    `Трубку снял телефон ${phone} (${vendor}, ${address})`,
};

function minutesRu(n: number): string {
  const tens = n % 100;
  const ones = n % 10;
  if (tens >= 11 && tens <= 14) return "минут";
  if (ones === 1) return "минуту";
  if (ones >= 2 && ones <= 4) return "минуты";
  return "минут";
}

/** Every key of `ru`, with its shape: a string, or a function of the same arguments returning one. */
export type Messages = {
  readonly [K in keyof typeof ru]: (typeof ru)[K] extends (...args: infer A) => string
    ? (...args: A) => string
    : string;
};
