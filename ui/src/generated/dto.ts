// Generated from the Rust DTOs by src-tauri/tests/app/bindings.rs (ts-rs); do not edit.

export type AppInfoDto = { 
/**
 * Whether the device has a shop yet.
 */
set_up: boolean, 
/**
 * Whether it can be used: a till that joined a chain is set up but not ready
 * until its first pull brought the chain's settings and operators.
 */
ready: boolean, 
/**
 * Shop name.
 */
shop_name: string | null, 
/**
 * Shop address, for receipts.
 */
shop_address: string | null, 
/**
 * Device code.
 */
device_code: string | null, 
/**
 * Currency code.
 */
currency: string | null, 
/**
 * Decimals of the currency.
 */
exponent: number, 
/**
 * Default locale of the content.
 */
default_locale: string | null, 
/**
 * Whether the shop uses content pages and promos (the Content screen).
 */
content: boolean, 
/**
 * Whether the shop has self-service kiosks.
 */
kiosk: boolean, 
/**
 * Whether this window was started as a kiosk (`--kiosk`).
 */
kiosk_device: boolean, 
/**
 * Whether it is locked in kiosk mode now (a manager's PIN unlocks it).
 */
kiosk_locked: boolean, 
/**
 * Seconds an untouched kiosk waits before it counts down and starts over
 * (this device's config, else the shop's).
 */
kiosk_idle_secs: number, 
/**
 * The UI's language until someone picks one at this device (the config's).
 */
language: Language, 
/**
 * The receipt paper (the config's).
 */
paper: Paper, };
export type LoginChoiceDto = { 
/**
 * Id.
 */
id: string, 
/**
 * Name.
 */
name: string, 
/**
 * Role.
 */
role: string, };
export type SessionDto = { 
/**
 * Operator id.
 */
operator_id: string, 
/**
 * Name.
 */
name: string, 
/**
 * Role.
 */
role: string, 
/**
 * Operations the role allows (names of `Operation`), decided by the core.
 */
can: Array<string>, };
export type ProductDto = { 
/**
 * Id.
 */
id: string, 
/**
 * SKU.
 */
sku: string, 
/**
 * Barcode.
 */
barcode: string | null, 
/**
 * Title in the shop's default locale (or any).
 */
title: string, 
/**
 * Titles per locale.
 */
titles: { [key in string]?: string }, 
/**
 * Unit price in minor units.
 */
price: number, 
/**
 * Tax rate in basis points.
 */
tax_rate_bp: number, 
/**
 * `draft`, `active` or `archived`.
 */
status: string, 
/**
 * Stock on hand.
 */
on_hand: number, 
/**
 * Low-stock threshold.
 */
low_stock_threshold: number, 
/**
 * At or below the threshold.
 */
low_stock: boolean, 
/**
 * For optimistic concurrency.
 */
version: number, 
/**
 * Descriptions per locale.
 */
descriptions: { [key in string]?: string }, 
/**
 * Category id.
 */
category: string | null, 
/**
 * Digest of its picture (shown from `image://localhost/<digest>`).
 */
image: string | null, 
/**
 * Who last changed it, when that was not this till: `head_office` or
 * `another_till` (only in catalog lists).
 */
changed_by: string | null, 
/**
 * When, RFC 3339 (the change's clock time).
 */
changed_at: string | null, 
/**
 * What that change set (`price`, `image`, `titles`…).
 */
changed_fields: Array<string>, };
export type ClashDto = { 
/**
 * `sku`, `barcode`, `slug` or `operator_name`.
 */
field: string, 
/**
 * The shared value.
 */
value: string, 
/**
 * The records, first made first.
 */
holders: Array<ClashHolderDto>, };
export type ClashHolderDto = { 
/**
 * Its id.
 */
id: string, 
/**
 * A product's or page's title, an operator's role.
 */
label: string, 
/**
 * Its status.
 */
status: string, };
export type LineDto = { 
/**
 * Product.
 */
product_id: string, 
/**
 * SKU.
 */
sku: string, 
/**
 * Title.
 */
title: string, 
/**
 * Unit price.
 */
unit_price: number, 
/**
 * Quantity.
 */
quantity: number, 
/**
 * Net.
 */
net: number, 
/**
 * Tax.
 */
tax: number, 
/**
 * Gross.
 */
gross: number, 
/**
 * Titles at the time of sale per locale (the UI shows its language's).
 */
titles: { [key in string]?: string }, 
/**
 * Tax rate, basis points.
 */
tax_rate_bp: number, 
/**
 * Minor units off by the line's own discount.
 */
line_discount: number, 
/**
 * Minor units off as the line's share of the order's discount.
 */
order_discount: number, 
/**
 * The line's discount as a percentage, in basis points, when given as one.
 */
discount_bp: number | null, };
export type QuoteDto = { 
/**
 * Lines.
 */
lines: Array<LineDto>, 
/**
 * Net total.
 */
net: number, 
/**
 * Tax total.
 */
tax: number, 
/**
 * Gross total.
 */
gross: number, 
/**
 * Lines asking for more than is on hand.
 */
short: Array<ShortLineDto>, 
/**
 * Whether the shop sells beyond its stock without asking.
 */
oversell_allowed: boolean, 
/**
 * Whether the logged-in operator may sell beyond stock without a manager.
 */
approves_oversell: boolean, 
/**
 * Minor units off by discounts.
 */
discount: number, 
/**
 * Whether the discounts need a manager's PIN for the logged-in operator.
 */
discount_needs_approval: boolean, };
export type ShortLineDto = { 
/**
 * Position in the basket.
 */
line: number, 
/**
 * SKU.
 */
sku: string, 
/**
 * Units on hand for it.
 */
on_hand: number, 
/**
 * Units asked for.
 */
quantity: number, };
export type PaymentDto = { 
/**
 * `cash`, `card` or `other`.
 */
method: string, 
/**
 * Amount.
 */
amount: number, 
/**
 * Cash handed over.
 */
tendered: number | null, 
/**
 * Change given.
 */
change: number | null, 
/**
 * Reference.
 */
reference: string | null, };
export type HistoryDto = { 
/**
 * Outbox sequence number.
 */
seq: number, 
/**
 * Event type.
 */
event_type: string, 
/**
 * When.
 */
occurred_at: string, };
export type OrderDto = { 
/**
 * Id.
 */
id: string, 
/**
 * Number.
 */
number: string, 
/**
 * Status.
 */
status: string, 
/**
 * Created at (RFC 3339).
 */
created_at: string, 
/**
 * Lines.
 */
lines: Array<LineDto>, 
/**
 * Net total.
 */
net: number, 
/**
 * Tax total.
 */
tax: number, 
/**
 * Gross total.
 */
gross: number, 
/**
 * Payments.
 */
payments: Array<PaymentDto>, 
/**
 * Tracking number.
 */
tracking: string | null, 
/**
 * Money refunded in all (0 when none).
 */
refunded: number, 
/**
 * Units refunded so far, per line (same order as `lines`).
 */
refunded_units: Array<number>, 
/**
 * Refunds, oldest first.
 */
refunds: Array<RefundDto>, 
/**
 * Customer name.
 */
customer: string | null, 
/**
 * Transitions the logged-in operator may perform now.
 */
actions: Array<"confirm" | "pay" | "ship" | "deliver" | "hand_over" | "cancel" | "refund">, 
/**
 * Events of the order.
 */
history: Array<HistoryDto>, 
/**
 * The operator who made the sale (the actor of its first event), when known.
 */
cashier_id: string | null, };
export type RefundDto = { 
/**
 * Money given back.
 */
amount: number, 
/**
 * Per tender.
 */
payments: Array<RefundPaymentDto>, 
/**
 * Lines and units given back; `None` for an old refund of the whole order.
 */
lines: Array<RefundLineDto> | null, 
/**
 * Why.
 */
reason: string | null, };
export type RefundPaymentDto = { 
/**
 * `cash`, `card` or `other`.
 */
method: string, 
/**
 * Amount.
 */
amount: number, };
export type RefundLineDto = { 
/**
 * Position of the line in the order.
 */
line: number, 
/**
 * Units.
 */
quantity: number, 
/**
 * Money.
 */
amount: number, 
/**
 * Whether they went back on the shelf.
 */
restock: boolean, };
export type ShiftDto = { 
/**
 * Id.
 */
id: string, 
/**
 * Opened at.
 */
opened_at: string, 
/**
 * Closed at, once closed.
 */
closed_at: string | null, 
/**
 * Float.
 */
float: number, 
/**
 * Cash sales.
 */
sales: number, 
/**
 * Cash refunds.
 */
refunds: number, 
/**
 * Cash in.
 */
cash_in: number, 
/**
 * Cash out.
 */
cash_out: number, 
/**
 * Expected in the drawer (at closing, what was expected then); absent while
 * the operator counts blind.
 */
expected: number | null, 
/**
 * Counted at closing.
 */
counted: number | null, 
/**
 * Counted − expected.
 */
difference: number | null, 
/**
 * Events not yet synced at closing.
 */
unsynced_events: number | null, };
export type ClosePreviewDto = { 
/**
 * Counted, minor units.
 */
counted: number, 
/**
 * What the drawer should hold.
 */
expected: number, 
/**
 * Counted − expected: negative is a shortfall.
 */
difference: number, 
/**
 * The shop's limit, when the difference is above it.
 */
limit: number | null, 
/**
 * Whether a manager must approve (with their PIN) before the shift closes.
 */
approval_needed: boolean, };
export type OperatorDto = { 
/**
 * Id.
 */
id: string, 
/**
 * Name.
 */
name: string, 
/**
 * Role.
 */
role: string, 
/**
 * Active.
 */
active: boolean, };
export type OperatorsDto = { 
/**
 * Every operator.
 */
operators: Array<OperatorRowDto>, 
/**
 * Roles a new operator may get (empty: may not create operators).
 */
create_roles: Array<string>, };
export type OperatorRowDto = { 
/**
 * Roles the operator can be given (empty: the role is shown, not offered).
 */
roles: Array<string>, 
/**
 * May be deactivated.
 */
deactivate: boolean, 
/**
 * May get a new PIN.
 */
reset_pin: boolean, 
/**
 * Id.
 */
id: string, 
/**
 * Name.
 */
name: string, 
/**
 * Role.
 */
role: string, 
/**
 * Active.
 */
active: boolean, };
export type StatusBarDto = { 
/**
 * Who is logged in.
 */
operator: SessionDto | null, 
/**
 * The open shift.
 */
shift: ShiftDto | null, 
/**
 * Sync with the central server (roles that may see it).
 */
sync: SyncStatusDto | null, };
export type ParkedDto = { 
/**
 * Id.
 */
id: string, 
/**
 * When it was parked (RFC 3339).
 */
parked_at: string, 
/**
 * Lines.
 */
lines: number, 
/**
 * Units in all.
 */
units: number, 
/**
 * The first products' titles (in the shop's language, and per locale), for the
 * cashier to recognise the customer's cart.
 */
titles: Array<TitlesDto>, };
export type TitlesDto = { 
/**
 * In the shop's default locale.
 */
title: string, 
/**
 * Per locale.
 */
titles: { [key in string]?: string }, };
export type CartDiscountDto = { 
/**
 * `percent` or `amount`.
 */
kind: "percent" | "amount", 
/**
 * Decimal text, as typed (`10`, `1.50`).
 */
value: string, };
export type CartLineDto = { 
/**
 * The product, at today's price.
 */
product: ProductDto, 
/**
 * Units.
 */
qty: number, 
/**
 * Its discount.
 */
discount: CartDiscountDto | null, };
export type CartDto = { 
/**
 * Lines whose products the shop still has.
 */
lines: Array<CartLineDto>, 
/**
 * The discount on the whole sale.
 */
discount: CartDiscountDto | null, 
/**
 * Lines left out because their product is gone.
 */
missing: number, };
export type ShiftReportDto = { 
/**
 * The shift and its cash.
 */
shift: ShiftDto, 
/**
 * Whether it is closed (a Z report).
 */
closed: boolean, 
/**
 * When it closed (RFC 3339).
 */
closed_at: string | null, 
/**
 * Sales paid.
 */
receipts: number, 
/**
 * Their net, tax and gross.
 */
net: number, 
/**
 * Tax.
 */
tax: number, 
/**
 * Gross.
 */
gross: number, 
/**
 * Taken off by discounts.
 */
discounts: number, 
/**
 * Sales per tender.
 */
tenders: Array<TenderTotalDto>, 
/**
 * Sales per tax rate.
 */
tax_rates: Array<TaxLineDto>, 
/**
 * Refunds made.
 */
refunds: number, 
/**
 * Given back.
 */
refunded: number, 
/**
 * Refunds per tender.
 */
refund_tenders: Array<TenderTotalDto>, 
/**
 * The till's code.
 */
till: string, 
/**
 * Who opened the shift.
 */
opened_by: string | null, 
/**
 * Who closed it.
 */
closed_by: string | null, 
/**
 * Who approved its difference, when that was needed.
 */
approved_by: string | null, };
export type TicketCartDto = { 
/**
 * The ticket, for the sale to record.
 */
ticket_id: string, 
/**
 * The number the kiosk showed the customer.
 */
number: number, 
/**
 * Lines whose product is still for sale, at today's prices.
 */
lines: Array<TicketLineDto>, 
/**
 * Lines left out: the product is gone or no longer for sale.
 */
missing: number, };
export type TicketDto = { 
/**
 * The number the customer tells the counter.
 */
number: number, 
/**
 * The text of its QR code, which the counter's scanner types.
 */
code: string, 
/**
 * Modules per side of the QR code.
 */
qr_size: number, 
/**
 * The QR code's dark modules as an SVG path, one unit per module.
 */
qr_path: string, 
/**
 * What the lines came to at the kiosk, minor units.
 */
total: number, 
/**
 * When (RFC 3339).
 */
issued_at: string, 
/**
 * Until when the counter takes it (RFC 3339).
 */
expires_at: string, };
export type TicketLineDto = { 
/**
 * The product as it is now.
 */
product: ProductDto, 
/**
 * Units.
 */
qty: number, 
/**
 * The unit price the customer saw at the kiosk.
 */
price_then: number, };
export type CategoryDto = { 
/**
 * Id.
 */
id: string, 
/**
 * Name in the shop's main language (or any).
 */
name: string, 
/**
 * Names per locale.
 */
names: { [key in string]?: string }, 
/**
 * Order among its siblings.
 */
position: number, 
/**
 * The category it sits under.
 */
parent: string | null, 
/**
 * For optimistic concurrency.
 */
version: number, };
export type ContentDto = { 
/**
 * Id.
 */
id: string, 
/**
 * `page`, `promo` or `article`.
 */
kind: string, 
/**
 * Slug.
 */
slug: string, 
/**
 * Order (smaller first).
 */
position: number, 
/**
 * `draft`, `published` or `archived`.
 */
status: string, 
/**
 * When it was published (RFC 3339).
 */
published_at: string | null, 
/**
 * For optimistic concurrency.
 */
version: number, 
/**
 * Texts per locale.
 */
translations: { [key in string]?: TranslationDto }, 
/**
 * The products a promo is about, in the manager's order (those since deleted
 * are left out).
 */
products: Array<ProductDto>, };
export type TranslationDto = { 
/**
 * Title.
 */
title: string, 
/**
 * Teaser (empty for none).
 */
excerpt: string, 
/**
 * Markdown body (empty for none).
 */
body: string, };
export type ShownContentDto = { 
/**
 * Id.
 */
id: string, 
/**
 * `page` or `promo`.
 */
kind: string, 
/**
 * Slug.
 */
slug: string, 
/**
 * The language shown (the one asked for, else the shop's main one).
 */
locale: string, 
/**
 * Title.
 */
title: string, 
/**
 * Teaser.
 */
excerpt: string | null, 
/**
 * The body as safe HTML (see `markdown::safe_html`).
 */
body_html: string | null, 
/**
 * The ids of the products a promo is about (the kiosk marks their tiles).
 */
products: Array<string>, };
export type TenderTotalDto = { 
/**
 * `cash`, `card` or `other`.
 */
method: string, 
/**
 * Amount.
 */
amount: number, };
export type TaxLineDto = { 
/**
 * Basis points.
 */
rate_bp: number, 
/**
 * Net.
 */
net: number, 
/**
 * Tax.
 */
tax: number, 
/**
 * Gross.
 */
gross: number, };
export type SyncStatusDto = { 
/**
 * `not_enrolled`, `starting`, `syncing`, `online`, `offline`, `breaker_open`,
 * `refused`.
 */
state: string, 
/**
 * Central's URL, once enrolled.
 */
central_url: string | null, 
/**
 * This shop's name at central.
 */
tenant: string | null, 
/**
 * The store this till belongs to, by name.
 */
store: string | null, 
/**
 * This till's code (it begins its receipt numbers).
 */
till: string | null, 
/**
 * Events not yet at central.
 */
pending: number, 
/**
 * Age of the oldest of them, seconds.
 */
oldest_pending_secs: number | null, 
/**
 * When central last answered, RFC 3339.
 */
last_success: string | null, 
/**
 * Seconds since then.
 */
last_success_secs: number | null, 
/**
 * The last failure, until the next success (English detail).
 */
last_error: string | null, 
/**
 * Its kind (`network`, `timeout`, `refused`…), which the UI words.
 */
last_error_kind: string | null, 
/**
 * `closed`, `open`, `half_open`.
 */
breaker: string, 
/**
 * Events central rejected (see the dead letters).
 */
rejected: number, 
/**
 * Seconds since central last answered a pull (none: never pulled).
 */
pulled_secs: number | null, 
/**
 * Changes in the tenant's feed not yet taken (as of the last answer).
 */
behind: number, 
/**
 * Changes pulled that could not be applied yet (kept, tried again).
 */
set_aside: number, 
/**
 * The last problem pulling, until the next pull that works (English detail).
 */
pull_error: string | null, 
/**
 * Its kind (`network`, `timeout`…), which the UI words; none when the detail
 * is from before this run.
 */
pull_error_kind: string | null, 
/**
 * This till's clock minus central's, seconds, at the last answer.
 */
clock_skew_secs: number | null, 
/**
 * The clock is more than two minutes off central's: the operator is told.
 */
clock_off: boolean, 
/**
 * Product pictures this till has not yet sent to central or fetched from it.
 */
pictures_waiting: number, 
/**
 * Why the last try at one of them failed, while any waits (English detail).
 */
pictures_problem: string | null, };
export type JoinProgressDto = { 
/**
 * The chain's settings and an operator are in: the till can be used.
 */
ready: boolean, 
/**
 * Feed entries taken so far.
 */
taken: number, 
/**
 * Feed entries central holds for it (as of its last answer).
 */
total: number, 
/**
 * Central has answered a pull at least once.
 */
pulled: boolean, 
/**
 * The last problem (English detail).
 */
problem: string | null, 
/**
 * Its kind (`network`, `refused`…), which the UI words.
 */
problem_kind: string | null, };
export type DeadLetterDto = { 
/**
 * Which part gave up: `sync` (central rejected it), `index`, …
 */
handler: string, 
/**
 * Outbox seq of the event.
 */
seq: number, 
/**
 * Its type.
 */
event_type: string, 
/**
 * When it happened, RFC 3339.
 */
occurred_at: string, 
/**
 * Why it failed, last time.
 */
error: string, 
/**
 * Attempts so far.
 */
attempts: number, 
/**
 * When it was set aside, RFC 3339.
 */
recorded_at: string, };
export type SettingsDto = { 
/**
 * The shop.
 */
shop: ShopSettingsDto, 
/**
 * This device.
 */
device: DeviceProfileDto, 
/**
 * The config file and the values in force.
 */
config: ConfigDto, };
export type ImportProgressDto = { 
/**
 * Data rows read.
 */
rows: number, 
/**
 * Bytes read.
 */
bytes: number, 
/**
 * The file's size.
 */
total_bytes: number | null, };
export type ImportReportDto = { 
/**
 * Data rows read.
 */
rows: number, 
/**
 * Products created.
 */
created: number, 
/**
 * Products changed.
 */
updated: number, 
/**
 * Rows that matched their product already.
 */
unchanged: number, 
/**
 * Rows not imported, in file order.
 */
rejected: Array<RejectedRowDto>, 
/**
 * Stopped by Cancel after a whole batch.
 */
cancelled: boolean, };
export type RejectedRowDto = { 
/**
 * Its line in the file.
 */
line: number, 
/**
 * Its SKU, when it has one.
 */
sku: string | null, 
/**
 * Each problem; `field` is the column (or `row`).
 */
errors: Array<ApiFieldError>, };
export type ShopSettingsDto = { 
/**
 * Name.
 */
name: string, 
/**
 * The shop's short name (at central, the tenant).
 */
slug: string, 
/**
 * Address for receipts.
 */
address: string | null, 
/**
 * Currency code.
 */
currency: string, 
/**
 * The content's default locale.
 */
default_locale: string, 
/**
 * `inclusive` (prices include tax) or `exclusive`.
 */
tax_mode: string, 
/**
 * Content pages and promos.
 */
content: boolean, 
/**
 * Self-service kiosks.
 */
kiosk: boolean, 
/**
 * Selling more than the stock is allowed.
 */
allow_oversell: boolean, 
/**
 * The shift's counted-cash difference that needs a manager, minor units.
 */
shift_difference_limit: number | null, 
/**
 * Cashiers count the drawer without seeing the expected amount.
 */
blind_count: boolean, 
/**
 * The largest discount a cashier gives alone, percent.
 */
discount_limit: number | null, 
/**
 * The shop's kiosk idle time, seconds.
 */
kiosk_idle_secs: number, };
export type DeviceProfileDto = { 
/**
 * The till's code (begins its receipt numbers).
 */
code: string | null, 
/**
 * Its id.
 */
id: string | null, 
/**
 * `till` or `kiosk`.
 */
kind: string, 
/**
 * The app's version.
 */
version: string, 
/**
 * The data folder.
 */
data_folder: string | null, 
/**
 * Central's address, when enrolled (the config's, when it overrides).
 */
central_url: string | null, 
/**
 * The shop's name at central.
 */
tenant: string | null, 
/**
 * The store this device belongs to (name).
 */
store: string | null, 
/**
 * Its code.
 */
store_code: string | null, };
export type ConfigDto = { 
/**
 * The file's path.
 */
path: string, 
/**
 * What the last read found.
 */
file: FileState, 
/**
 * Every setting with its value and source.
 */
values: Array<ShownValue>, 
/**
 * What is wrong with the file (then refused) or the environment.
 */
problems: Array<Problem>, };
export type ShownValue = { 
/**
 * `section.key`.
 */
key: string, 
/**
 * The value as the file would spell it (none: not set).
 */
value: string | null, 
/**
 * Where it came from.
 */
source: Source, 
/**
 * The environment variable that overrides it.
 */
env: string, 
/**
 * Whether a change applies only when the app starts again.
 */
restart: boolean, };
export type Problem = { 
/**
 * What kind.
 */
code: ProblemCode, 
/**
 * The file's line (1-based), when the problem is in the file.
 */
line: number | null, 
/**
 * The key (`sync.interval_ms`), or the environment variable's name.
 */
key: string | null, 
/**
 * English detail: what the key takes, or what the parser met.
 */
detail: string, };
export type ProblemCode = "syntax" | "unknown_key" | "bad_value" | "unreadable";
export type Source = "default" | "file" | "env" | "flag";
export type FileState = "missing" | "used" | "refused";
export type Language = "en" | "ru";
export type Paper = "58" | "80" | "a4";
export type ApiFieldError = { 
/**
 * Field path, e.g. `price` or `lines[1].quantity`.
 */
field: string, 
/**
 * Stable code, e.g. `check_digit`.
 */
code: string, 
/**
 * Readable explanation (English; the UI words the error itself from `code`
 * and `params`).
 */
message: string, 
/**
 * Values the UI needs to word the error: a limit, a SKU, an amount in minor units.
 */
params: { [key in string]?: string }, };
export type ApiError = { 
/**
 * Stable machine code.
 */
code: string, 
/**
 * Readable explanation.
 */
message: string, 
/**
 * Invalid fields, for `validation`.
 */
fields: Array<ApiFieldError> | null, 
/**
 * Seconds until a lockout ends, for `locked`.
 */
retry_after_secs: number | null, 
/**
 * Wrong PINs left before a lockout, for `wrong_pin`.
 */
attempts_left: number | null, 
/**
 * Values the UI needs to word the error in its language (`ui/src/errors.json`):
 * seconds, attempts, amounts in minor units, SKUs.
 */
params: { [key in string]?: string }, };
export type Command = "app_info" | "create_demo_shop" | "set_up_shop" | "login_choices" | "login" | "logout" | "session" | "status_bar" | "scan" | "quote" | "counter_sale" | "open_shift" | "close_shift" | "preview_close_shift" | "move_cash" | "park_sale" | "parked_sales" | "resume_sale" | "shift_report" | "list_shifts" | "read_ticket" | "issue_ticket" | "unlock_kiosk" | "lock_kiosk" | "list_orders" | "get_order" | "order_action" | "preview_refund" | "list_products" | "list_clashes" | "create_product" | "update_product" | "set_product_status" | "receive_stock" | "adjust_stock" | "list_categories" | "create_category" | "update_category" | "store_image" | "list_content" | "create_content" | "update_content" | "set_content_status" | "render_markdown" | "shown_content" | "list_operators" | "create_operator" | "change_operator_role" | "deactivate_operator" | "reset_operator_pin" | "sync_now" | "enrol_device" | "join_chain" | "join_progress" | "list_dead_letters" | "retry_dead_letter" | "discard_dead_letter" | "device_settings" | "import_catalog" | "cancel_import";
export type Operation = "ViewSettings" | "UpdateSettings" | "ListOperators" | "CreateOperator" | "ChangeOperatorRole" | "DeactivateOperator" | "ResetOperatorPin" | "ViewCatalog" | "CreateProduct" | "UpdateProduct" | "ChangeProductStatus" | "ImportCatalog" | "CreateCategory" | "UpdateCategory" | "StoreImage" | "ViewStock" | "ReceiveStock" | "AdjustStock" | "ViewOrders" | "CreateOrder" | "QuoteOrder" | "ConfirmOrder" | "PayOrder" | "ShipOrder" | "DeliverOrder" | "HandOverOrder" | "CancelOrder" | "RefundOrder" | "CounterSale" | "ParkSale" | "ListParkedSales" | "ResumeParkedSale" | "IssueTicket" | "ReadTicket" | "ViewCashSession" | "OpenCashSession" | "MoveCash" | "CloseCashSession" | "ViewContent" | "CreateContent" | "UpdateContent" | "PublishContent" | "ArchiveContent" | "Doctor" | "ViewSyncStatus" | "Backup" | "ExportUnsynced" | "ListDeadLetters" | "RetryDeadLetter" | "DiscardDeadLetter" | "EnrolDevice";
