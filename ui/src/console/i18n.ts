// The console's texts in English and Russian; the choice is kept in this browser.
import { writable, derived } from "svelte/store";

const en = {
  title: "RusToK Console",
  signInTitle: "Head office sign-in",
  login: "Login",
  password: "Password",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signOut: "Sign out",
  wrongCredentials: "Wrong login or password.",
  locked: "Too many wrong passwords: this account is locked. Try again in {n} min.",
  tooMany: "Too many attempts from this computer. Wait {n} s.",
  unreachable: "Central cannot be reached. Check the connection and try again.",
  failed: "Central refused: {message}",
  unreachableShort: "Central cannot be reached; try again.",
  tenant: "Tenant",
  fleet: "Fleet",
  reports: "Reports",
  codes: "Enrol a till",
  audit: "Audit log",
  noTenants: "No tenant yet: a tenant is made by its first enrolment code or store.",
  checkedAt: "As of {time}",
  refresh: "Refresh",
  all: "All",
  state: "State",
  store: "Store",
  device: "Device",
  kind: "Kind",
  app: "App",
  schema: "Database",
  queue: "Queue",
  oldest: "Oldest unsent",
  lastContact: "Last report",
  breaker: "Connection",
  clock: "Clock",
  deadLetters: "Dead letters",
  reasons: "Why",
  actions: "",
  healthy: "Healthy",
  warning: "Warning",
  stale: "Stale",
  revoked: "Revoked",
  till: "Till",
  kiosk: "Kiosk",
  unknownKind: "—",
  r_revoked: "revoked by head office",
  r_never_reported: "never reported",
  r_silent: "silent for over 15 min",
  r_dead_letters: "events set aside",
  r_queue_old: "an unsent sale older than 15 min",
  r_breaker: "cannot reach central",
  r_clock: "clock off by over 2 min",
  b_closed: "online",
  b_open: "cut off",
  b_half_open: "retrying",
  noDevices: "No devices match.",
  noDevicesYet: "No till has joined this tenant yet. Make a code under “Enrol a till”.",
  history: "History",
  hideHistory: "Hide history",
  historyOf: "Health of {device} over the last week",
  noHistory: "No reports kept yet.",
  revoke: "Revoke",
  revokeConfirm: "Revoke {device}? It can no longer sync; its sales stay. This cannot be undone.",
  revokeYes: "Revoke it",
  cancel: "Cancel",
  revokedDone: "{device} is revoked: its next sync is refused.",
  codeTitle: "A code for a new till",
  codeHelp: "On the new till choose “Join the chain”, type central's address ({url}), then this code, or scan its QR code into the code field.",
  validFor: "Valid for",
  hour: "1 hour",
  day: "1 day",
  week: "7 days",
  makeCode: "Make a code",
  codeFor: "Code for store {store}",
  expires: "Valid until {time}",
  qrLabel: "QR code of the enrolment code",
  when: "When",
  who: "Who",
  what: "What",
  details: "Details",
  older: "Older entries",
  noEntries: "Nothing recorded yet.",
  a_sign_in: "signed in",
  a_sign_out: "signed out",
  a_account_locked: "account locked after wrong passwords",
  a_revoke_device: "revoked a device",
  a_create_code: "made an enrolment code",
  a_add_person: "added a person",
  a_put_store: "set a store",
  a_office_changes: "changed the chain's records",
  a_upload_image: "uploaded a picture",
  actor_admin_token: "admin token",
  actor_command_line: "command line",
  sec: "{n} s",
  min: "{n} min",
  hours: "{n} h",
  days: "{n} d",
  ago: "{d} ago",
  language: "Русский",
  loading: "Loading…",
  queueN: "{n} unsent",
  onTime: "on time",
  from: "From",
  to: "To",
  today: "Today",
  last7: "7 days",
  last30: "30 days",
  last90: "90 days",
  show: "Show",
  csv: "CSV",
  counting: "Central is still counting sales it received; the figures will grow.",
  outOfRange: "A sum is too large to show exactly; it is cut at the largest figure.",
  noSales: "No sales in these days.",
  orders: "Orders",
  paid: "Taken",
  refunds: "Refunds",
  refunded: "Refunded",
  refundsMoney: "Refunds",
  net: "Net",
  discounts: "Discounts",
  average: "Average sale",
  salesByDay: "Sales per day",
  byStore: "per store",
  tenderMix: "Tender mix",
  method: "Tender",
  m_cash: "Cash",
  m_card: "Card",
  m_other: "Other",
  topProducts: "Best sellers",
  product: "Product",
  units: "Units",
  amount: "Money",
  byHour: "Sales by hour of the day",
  hourOf: "Hour",
  day_: "Day",
  refundsByDay: "Refunds and discounts per day",
  chartOf: "Chart: {what}",
  inZone: "Days and hours in this computer's time zone (UTC{offset}).",
  d_device_code: "device",
  d_device_id: "device id",
  d_store: "store",
  d_expires_at: "valid until",
  d_login: "login",
  d_name: "name",
  d_code: "code",
  d_changes: "changes",
  d_digest: "picture",
};

type Texts = typeof en;

const ru: Texts = {
  title: "Консоль RusToK",
  signInTitle: "Вход для головного офиса",
  login: "Логин",
  password: "Пароль",
  signIn: "Войти",
  signingIn: "Вход…",
  signOut: "Выйти",
  wrongCredentials: "Неверный логин или пароль.",
  locked: "Слишком много неверных паролей: вход заблокирован. Попробуйте через {n} мин.",
  tooMany: "Слишком много попыток с этого компьютера. Подождите {n} с.",
  unreachable: "Нет связи с центральным сервером. Проверьте подключение и повторите.",
  failed: "Сервер отказал: {message}",
  unreachableShort: "Нет связи с центральным сервером; повторите.",
  tenant: "Сеть магазинов",
  fleet: "Устройства",
  reports: "Отчёты",
  codes: "Подключить кассу",
  audit: "Журнал действий",
  noTenants: "Сетей пока нет: сеть появляется с первым кодом подключения или магазином.",
  checkedAt: "На {time}",
  refresh: "Обновить",
  all: "Все",
  state: "Состояние",
  store: "Магазин",
  device: "Устройство",
  kind: "Тип",
  app: "Версия",
  schema: "База данных",
  queue: "Очередь",
  oldest: "Старейшее неотправленное",
  lastContact: "Последний отчёт",
  breaker: "Связь",
  clock: "Часы",
  deadLetters: "Отложенные события",
  reasons: "Причина",
  actions: "",
  healthy: "Исправно",
  warning: "Внимание",
  stale: "Не отвечает",
  revoked: "Отозвано",
  till: "Касса",
  kiosk: "Киоск",
  unknownKind: "—",
  r_revoked: "отозвано головным офисом",
  r_never_reported: "ни разу не отчитывалось",
  r_silent: "не отвечает дольше 15 мин",
  r_dead_letters: "есть отложенные события",
  r_queue_old: "неотправленная продажа старше 15 мин",
  r_breaker: "нет связи с сервером",
  r_clock: "часы расходятся больше чем на 2 мин",
  b_closed: "на связи",
  b_open: "нет связи",
  b_half_open: "повторяет",
  noDevices: "Нет подходящих устройств.",
  noDevicesYet: "К этой сети ещё не подключена ни одна касса. Создайте код в разделе «Подключить кассу».",
  history: "История",
  hideHistory: "Скрыть историю",
  historyOf: "Состояние {device} за последнюю неделю",
  noHistory: "Отчётов пока нет.",
  revoke: "Отозвать",
  revokeConfirm: "Отозвать {device}? Устройство больше не сможет синхронизироваться; его продажи сохранятся. Отменить это нельзя.",
  revokeYes: "Отозвать",
  cancel: "Отмена",
  revokedDone: "{device} отозвано: следующая синхронизация будет отклонена.",
  codeTitle: "Код для новой кассы",
  codeHelp: "На новой кассе выберите «Подключиться к сети», введите адрес сервера ({url}), затем этот код или отсканируйте QR-код в поле кода.",
  validFor: "Действует",
  hour: "1 час",
  day: "1 день",
  week: "7 дней",
  makeCode: "Создать код",
  codeFor: "Код для магазина {store}",
  expires: "Действует до {time}",
  qrLabel: "QR-код кода подключения",
  when: "Когда",
  who: "Кто",
  what: "Что",
  details: "Подробности",
  older: "Более ранние записи",
  noEntries: "Записей пока нет.",
  a_sign_in: "вход в консоль",
  a_sign_out: "выход из консоли",
  a_account_locked: "вход заблокирован после неверных паролей",
  a_revoke_device: "устройство отозвано",
  a_create_code: "создан код подключения",
  a_add_person: "добавлен сотрудник",
  a_put_store: "изменён магазин",
  a_office_changes: "изменены данные сети",
  a_upload_image: "загружена картинка",
  actor_admin_token: "токен администратора",
  actor_command_line: "командная строка",
  sec: "{n} с",
  min: "{n} мин",
  hours: "{n} ч",
  days: "{n} дн",
  ago: "{d} назад",
  language: "English",
  loading: "Загрузка…",
  queueN: "{n} не отправлено",
  onTime: "точно",
  from: "С",
  to: "По",
  today: "Сегодня",
  last7: "7 дней",
  last30: "30 дней",
  last90: "90 дней",
  show: "Показать",
  csv: "CSV",
  counting: "Сервер ещё учитывает полученные продажи; суммы будут расти.",
  outOfRange: "Сумма слишком велика, чтобы показать её точно; она обрезана до наибольшей.",
  noSales: "В эти дни продаж нет.",
  orders: "Чеков",
  paid: "Выручка",
  refunds: "Возвратов",
  refunded: "Возвращено",
  refundsMoney: "Возвраты",
  net: "Итого",
  discounts: "Скидки",
  average: "Средний чек",
  salesByDay: "Продажи по дням",
  byStore: "по магазинам",
  tenderMix: "Способы оплаты",
  method: "Оплата",
  m_cash: "Наличные",
  m_card: "Карта",
  m_other: "Другое",
  topProducts: "Лидеры продаж",
  product: "Товар",
  units: "Штук",
  amount: "Сумма",
  byHour: "Продажи по часам",
  hourOf: "Час",
  day_: "День",
  refundsByDay: "Возвраты и скидки по дням",
  chartOf: "График: {what}",
  inZone: "Дни и часы — по часовому поясу этого компьютера (UTC{offset}).",
  d_device_code: "устройство",
  d_device_id: "идентификатор",
  d_store: "магазин",
  d_expires_at: "действует до",
  d_login: "логин",
  d_name: "имя",
  d_code: "код",
  d_changes: "изменений",
  d_digest: "картинка",
};

export type Lang = "en" | "ru";
const saved = localStorage.getItem("console-lang");
export const lang = writable<Lang>(saved === "ru" || saved === "en" ? saved : navigator.language.startsWith("ru") ? "ru" : "en");
lang.subscribe((l) => {
  localStorage.setItem("console-lang", l);
  document.documentElement.lang = l;
});

export const t = derived(lang, (l) => {
  const texts: Texts = l === "ru" ? ru : en;
  return (key: string, vars: Record<string, string | number> = {}): string => {
    const s = (texts as Record<string, string>)[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
  };
});

/** A moment (Unix milliseconds) in the UI language's format. */
export const when = derived(lang, (l) => (ms: number): string =>
  new Date(ms).toLocaleString(l === "ru" ? "ru-RU" : "en-GB", { dateStyle: "medium", timeStyle: "medium" }));

/** What a failed call tells the person: unreachable, or central's reason. */
export const problem = derived(t, (tr) => (e: unknown): string => {
  if (e instanceof Error && "status" in e && (e as { status: number }).status === 0) return tr("unreachableShort");
  return tr("failed", { message: e instanceof Error ? e.message : String(e) });
});

/** Money in minor units of `currency`, in the UI language (the currency's own
 *  number of decimals: none for yen). */
export const money = derived(lang, (l) => (minor: number, currency: string): string => {
  const locale = l === "ru" ? "ru-RU" : "en-GB";
  try {
    const f = new Intl.NumberFormat(locale, { style: "currency", currency });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency}`;
  }
});

/** Minor units as a plain decimal for a file: `12.50`, `1200` for yen. */
export function decimal(minor: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown code: two decimals.
  }
  if (digits === 0) return String(minor);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const unit = 10 ** digits;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(digits, "0")}`;
}

/** A duration in seconds, short: "45 s", "12 min", "3 h", "2 d". */
export const age = derived(t, (tr) => (secs: number): string => {
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return tr("sec", { n: s });
  if (s < 3600) return tr("min", { n: Math.floor(s / 60) });
  if (s < 86400) return tr("hours", { n: Math.floor(s / 3600) });
  return tr("days", { n: Math.floor(s / 86400) });
});
