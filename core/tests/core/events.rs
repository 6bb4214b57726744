//! Events: a frozen JSON fixture per (type, version), JSON round trips, upcasting.

use crate::helpers::*;
use proptest::prelude::*;
use rustok_core::domain::cash::CashMoveKind;
use rustok_core::domain::clock::Timestamp;
use rustok_core::domain::content::{
    ContentFields, ContentKind, ContentSlug, ContentTitle, Translation,
};
use rustok_core::domain::device::DeviceCode;
use rustok_core::domain::event::*;
use rustok_core::domain::hlc::Hlc;
use rustok_core::domain::ids::*;
use rustok_core::domain::locale::Localized;
use rustok_core::domain::money::Money;
use rustok_core::domain::operator::OperatorName;
use rustok_core::domain::order::{
    price_lines, Customer, CustomerName, Discount, LineSpec, OrderNumber, ParkedBasket, ParkedLine,
    TrackingNumber,
};
use rustok_core::domain::payment::{
    settle, PaymentMethod, Refund, RefundPayment, RefundedItems, RefundedLine, Tender,
};
use rustok_core::domain::permission::Role;
use rustok_core::domain::product::{ProductStatus, ProductTitle, Sku, TaxRate};
use rustok_core::domain::stock::{MovementKind, Quantity};
use rustok_core::domain::tenant::{TaxMode, TenantSlug};
use rustok_core::domain::text::{Note, Reason};
use rustok_core::domain::ticket::{Ticket, TicketLine};
use rustok_core::domain::upcast::{UpcastError, Upcasters};
use serde_json::value::RawValue;
use std::path::PathBuf;

/// Raw material for a sample of every event type.
#[derive(Debug, Clone)]
struct Atoms {
    id: u128,
    text: String,
    n: i64,
    flag: bool,
}

/// A PIN hash as events carry it.
const PIN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";

fn fixed_atoms() -> Atoms {
    Atoms {
        id: 0x0192_f0e4_0000_7000_8000_0000_0000_0001,
        text: "Sample Тест".into(),
        n: 1234,
        flag: true,
    }
}

fn atoms() -> impl Strategy<Value = Atoms> {
    (
        any::<u128>(),
        "[\\p{L}\\p{N}][\\p{L}\\p{N} .,!-]{0,39}",
        1i64..1_000_000,
        any::<bool>(),
    )
        .prop_map(|(id, text, n, flag)| Atoms { id, text, n, flag })
}

/// A valid event of type `t` built from `a`. The match has no wildcard: a new event
/// type does not compile until it has a sample (and so a fixture and a round trip).
fn sample(t: EventType, a: &Atoms) -> DomainEvent {
    let u = |k: u128| uuid::Uuid::from_u128(a.id.wrapping_add(k));
    let title = ProductTitle::parse(&a.text).unwrap();
    let reason = Reason::parse(&a.text).unwrap();
    let money = Money::new(a.n, eur());
    let product_fields = product_fields("SKU-1", a.n, a.flag.then(|| ean13(a.n as u64)));
    let content_fields = ContentFields {
        kind: if a.flag {
            ContentKind::Promo
        } else {
            ContentKind::Article
        },
        slug: ContentSlug::parse("spring-sale").unwrap(),
        position: (a.n % 100) as i32,
        translations: Localized::new().with(
            ru(),
            Translation {
                title: ContentTitle::parse(&a.text).unwrap(),
                excerpt: None,
                body: Some(
                    rustok_core::domain::content::ContentBody::parse("# Hello\n\nBody").unwrap(),
                ),
            },
        ),
        // A promo names products; an article never does.
        products: if a.flag {
            vec![ProductId::from_uuid(u(3))]
        } else {
            vec![]
        },
    };
    match t {
        EventType::TenantCreated => TenantCreated {
            tenant_id: TenantId::from_uuid(u(0)),
            slug: TenantSlug::parse("corner").unwrap(),
            settings: settings(TaxMode::Inclusive, a.flag),
        }
        .into(),
        EventType::TenantSettingsChanged => TenantSettingsChanged {
            tenant_id: TenantId::from_uuid(u(0)),
            settings: settings(TaxMode::Exclusive, a.flag),
            changed: a.flag.then(|| vec!["tax_mode".to_owned()]),
        }
        .into(),
        EventType::DeviceRegistered => DeviceRegistered {
            device_id: DeviceId::from_uuid(u(1)),
            device_code: DeviceCode::parse("POS1").unwrap(),
        }
        .into(),
        EventType::OperatorCreated => OperatorCreated {
            operator_id: OperatorId::from_uuid(u(2)),
            name: OperatorName::parse(&a.text).unwrap(),
            role: if a.flag { Role::Cashier } else { Role::Kiosk },
            pin_hash: a.flag.then(|| PIN_HASH.to_owned()),
        }
        .into(),
        EventType::OperatorRoleChanged => OperatorRoleChanged {
            operator_id: OperatorId::from_uuid(u(2)),
            from: Role::Cashier,
            to: Role::Manager,
        }
        .into(),
        EventType::OperatorDeactivated => OperatorDeactivated {
            operator_id: OperatorId::from_uuid(u(2)),
        }
        .into(),
        EventType::OperatorPinReset => OperatorPinReset {
            operator_id: OperatorId::from_uuid(u(2)),
            pin_hash: a.flag.then(|| PIN_HASH.to_owned()),
        }
        .into(),
        EventType::OperatorLoggedIn => OperatorLoggedIn {
            operator_id: OperatorId::from_uuid(u(2)),
        }
        .into(),
        EventType::OperatorPinRejected => OperatorPinRejected {
            operator_id: OperatorId::from_uuid(u(2)),
            wrong_in_row: (a.n % 5) as u32,
            locked_until: a
                .flag
                .then(|| Timestamp::from_unix_millis(1_795_260_030_000)),
        }
        .into(),
        EventType::ProductCreated => ProductCreated {
            product_id: ProductId::from_uuid(u(3)),
            fields: product_fields,
            status: ProductStatus::Active,
        }
        .into(),
        EventType::ProductUpdated => ProductUpdated {
            product_id: ProductId::from_uuid(u(3)),
            version: 2,
            fields: product_fields,
            changed: a
                .flag
                .then(|| vec!["price".to_owned(), "titles".to_owned()]),
        }
        .into(),
        EventType::ProductStatusChanged => ProductStatusChanged {
            product_id: ProductId::from_uuid(u(3)),
            version: 3,
            from: ProductStatus::Active,
            to: ProductStatus::Archived,
        }
        .into(),
        EventType::StockMoved => StockMoved {
            movement_id: MovementId::from_uuid(u(4)),
            product_id: ProductId::from_uuid(u(3)),
            kind: if a.flag {
                MovementKind::Sold
            } else {
                MovementKind::Adjusted
            },
            delta: -a.n,
            on_hand_after: 7 - a.n,
            reason: (!a.flag).then(|| reason.clone()),
            order_id: a.flag.then(|| OrderId::from_uuid(u(5))),
        }
        .into(),
        EventType::OrderCreated => {
            let spec = LineSpec {
                product_id: ProductId::from_uuid(u(3)),
                sku: Sku::parse("SKU-1").unwrap(),
                title,
                titles: Localized::new(),
                unit_price: a.n,
                tax_rate: TaxRate::from_basis_points(2000).unwrap(),
                quantity: Quantity::new(1 + a.n % 7).unwrap(),
                discount: a.flag.then_some(Discount::Percent(1000)),
            };
            let (lines, totals) = price_lines(vec![spec], TaxMode::Inclusive, None).unwrap();
            OrderCreated {
                order_id: OrderId::from_uuid(u(5)),
                number: OrderNumber::parse("POS1-000042").unwrap(),
                currency: eur(),
                tax_mode: TaxMode::Inclusive,
                lines,
                totals,
                customer: a.flag.then(|| Customer {
                    name: CustomerName::parse(&a.text).unwrap(),
                    contact: None,
                }),
                notes: a.flag.then(|| Note::parse(&a.text).unwrap()),
                discount_approved_by: a.flag.then(|| OperatorId::from_uuid(u(2))),
                ticket_id: a.flag.then(|| TicketId::from_uuid(u(11))),
            }
            .into()
        }
        EventType::OrderConfirmed => OrderConfirmed {
            order_id: OrderId::from_uuid(u(5)),
        }
        .into(),
        EventType::OrderPaid => OrderPaid {
            order_id: OrderId::from_uuid(u(5)),
            payments: settle(
                a.n + 1,
                &[
                    Tender::Card {
                        amount: 1,
                        reference: None,
                    },
                    Tender::Cash {
                        amount: a.n,
                        tendered: a.n + 50,
                    },
                ],
            )
            .unwrap(),
            cash_session_id: CashSessionId::from_uuid(u(6)),
            oversold: if a.flag { vec![0] } else { Vec::new() },
            oversell_approved_by: a.flag.then(|| OperatorId::from_uuid(u(2))),
        }
        .into(),
        EventType::OrderShipped => OrderShipped {
            order_id: OrderId::from_uuid(u(5)),
            tracking: a
                .flag
                .then(|| TrackingNumber::parse("JJD000390007").unwrap()),
        }
        .into(),
        EventType::OrderDelivered => OrderDelivered {
            order_id: OrderId::from_uuid(u(5)),
            handed_over: a.flag,
        }
        .into(),
        EventType::OrderCancelled => OrderCancelled {
            order_id: OrderId::from_uuid(u(5)),
            reason: a.flag.then(|| reason.clone()),
        }
        .into(),
        EventType::OrderRefunded => OrderRefunded {
            order_id: OrderId::from_uuid(u(5)),
            refund: Refund {
                items: RefundedItems::Lines(vec![RefundedLine {
                    line: 1,
                    quantity: Quantity::new(2).unwrap(),
                    amount: a.n,
                    tax: a.n / 5,
                    restock: a.flag,
                }]),
                payments: vec![
                    RefundPayment {
                        method: PaymentMethod::Card,
                        amount: a.n - a.n / 2,
                    },
                    RefundPayment {
                        method: PaymentMethod::Cash,
                        amount: a.n / 2,
                    },
                ]
                .into_iter()
                .filter(|p| p.amount > 0)
                .collect(),
                reason: Some(reason.clone()),
                amount: a.n,
            },
            cash_session_id: Some(CashSessionId::from_uuid(u(6))),
            complete: !a.flag,
        }
        .into(),
        EventType::CashSessionOpened => CashSessionOpened {
            session_id: CashSessionId::from_uuid(u(6)),
            float: money,
        }
        .into(),
        EventType::CashMoved => CashMoved {
            session_id: CashSessionId::from_uuid(u(6)),
            kind: if a.flag {
                CashMoveKind::In
            } else {
                CashMoveKind::Out
            },
            amount: money,
            reason,
        }
        .into(),
        EventType::CashSessionClosed => CashSessionClosed {
            session_id: CashSessionId::from_uuid(u(6)),
            counted: money,
            expected: Money::new(a.n / 2, eur()),
            difference: Money::new(a.n - a.n / 2, eur()),
            unsynced_events: a.n as u64,
            approved_by: a.flag.then(|| OperatorId::from_uuid(u(8))),
        }
        .into(),
        EventType::ContentCreated => ContentCreated {
            content_id: ContentId::from_uuid(u(7)),
            fields: content_fields,
        }
        .into(),
        EventType::ContentUpdated => ContentUpdated {
            content_id: ContentId::from_uuid(u(7)),
            version: 2,
            fields: content_fields,
            changed: a.flag.then(Vec::new),
        }
        .into(),
        EventType::ContentPublished => ContentPublished {
            content_id: ContentId::from_uuid(u(7)),
            published_at: Timestamp::from_unix_millis(1_795_260_000_123),
        }
        .into(),
        EventType::ContentArchived => ContentArchived {
            content_id: ContentId::from_uuid(u(7)),
        }
        .into(),
        EventType::DeadLetterDiscarded => DeadLetterDiscarded {
            device_id: DeviceId::from_uuid(u(8)),
            handler: "sync".into(),
            seq: a.n as u64,
            event_id: EventId::from_uuid(u(9)),
            event_type: "OrderPaid".into(),
            error: format!("rejected: {}", a.text),
            attempts: (a.n % 10) as u32 + 1,
        }
        .into(),
        EventType::SaleParked => SaleParked {
            device_id: DeviceId::from_uuid(u(8)),
            parked_sale_id: ParkedSaleId::from_uuid(u(10)),
            basket: ParkedBasket {
                lines: vec![ParkedLine {
                    product_id: ProductId::from_uuid(u(3)),
                    quantity: Quantity::new(1 + a.n % 7).unwrap(),
                    discount: a.flag.then_some(Discount::Amount(a.n % 100)),
                }],
                discount: (!a.flag).then_some(Discount::Percent(500)),
            },
        }
        .into(),
        EventType::ParkedSaleResumed => ParkedSaleResumed {
            device_id: DeviceId::from_uuid(u(8)),
            parked_sale_id: ParkedSaleId::from_uuid(u(10)),
        }
        .into(),
        EventType::TicketIssued => TicketIssued {
            device_id: DeviceId::from_uuid(u(8)),
            ticket: Ticket::new(
                TicketId::from_uuid(u(11)),
                (a.n % 1000) as u32 + 1,
                Timestamp::from_unix_millis(1_795_346_400_000),
                vec![TicketLine {
                    product_id: ProductId::from_uuid(u(3)),
                    quantity: Quantity::new(1 + a.n % 7).unwrap(),
                    unit_price: a.n,
                }],
            )
            .unwrap(),
        }
        .into(),
        EventType::CategoryCreated => CategoryCreated {
            category_id: CategoryId::from_uuid(u(12)),
            fields: category_fields(&a.text, (a.n % 100) as u32, None),
        }
        .into(),
        EventType::CategoryUpdated => CategoryUpdated {
            category_id: CategoryId::from_uuid(u(12)),
            version: 2,
            fields: category_fields(
                &a.text,
                (a.n % 100) as u32,
                Some(CategoryId::from_uuid(u(13))),
            ),
            changed: a.flag.then(Vec::new),
        }
        .into(),
        EventType::FeedApplied => FeedApplied {
            device_id: DeviceId::from_uuid(u(1)),
            from: a.n.unsigned_abs(),
            to: a.n.unsigned_abs() + 5,
            applied: 4,
            set_aside: u32::from(a.flag),
        }
        .into(),
    }
}

fn envelope(i: usize, e: &DomainEvent) -> Envelope {
    let t = e.event_type();
    Envelope {
        id: EventId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_1000_7000_8000_0000_0000_0000 + i as u128,
        )),
        event_type: t.as_str().to_owned(),
        schema_version: t.current_version(),
        tenant_id: TenantId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_2000_7000_8000_0000_0000_0001,
        )),
        device_id: DeviceId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_3000_7000_8000_0000_0000_0001,
        )),
        seq: i as u64 + 1,
        hlc: Hlc::parse("1795260000123-0003").unwrap(),
        occurred_at: Timestamp::from_unix_millis(1_795_260_000_123),
        actor_id: Some(OperatorId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_4000_7000_8000_0000_0000_0001,
        ))),
        correlation_id: CorrelationId::from_uuid(uuid::Uuid::from_u128(
            0x0192_f0e4_5000_7000_8000_0000_0000_0001,
        )),
        causation_id: None,
        origin: Origin::Device,
        data: RawValue::from_string(e.payload_json().unwrap()).unwrap(),
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

#[test]
fn every_event_type_has_a_fixture_at_its_current_version() {
    let write = std::env::var_os("RUSTOK_WRITE_FIXTURES").is_some();
    let mut missing = Vec::new();
    for (i, &t) in EventType::ALL.iter().enumerate() {
        let path = fixture_dir().join(format!("{}.v{}.json", t.as_str(), t.current_version()));
        if path.exists() {
            continue;
        }
        if write {
            // Only ever adds files: a shipped fixture is never rewritten.
            let json =
                serde_json::to_string_pretty(&envelope(i, &sample(t, &fixed_atoms()))).unwrap();
            std::fs::write(&path, json + "\n").unwrap();
        } else {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "missing event fixtures (run the tests once with RUSTOK_WRITE_FIXTURES=1, review and commit them): {missing:#?}"
    );
}

#[test]
fn every_fixture_ever_shipped_still_decodes() {
    let upcasters = Upcasters::standard();
    let mut seen = 0;
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (ty, rest) = name
            .split_once(".v")
            .unwrap_or_else(|| panic!("bad fixture name {name}"));
        let version: u32 = rest.trim_end_matches(".json").parse().unwrap();
        let env: Envelope = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: envelope does not parse: {e}"));
        assert_eq!(
            (env.event_type.as_str(), env.schema_version),
            (ty, version),
            "{name}"
        );
        let event = env
            .decode(&upcasters)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.event_type().as_str(), ty);
        seen += 1;
    }
    assert!(seen >= EventType::ALL.len());
}

proptest! {
    #[test]
    fn every_event_survives_a_json_round_trip(a in atoms()) {
        for (i, &t) in EventType::ALL.iter().enumerate() {
            let e = sample(t, &a);
            prop_assert!(e.validate().is_ok(), "{:?}", e);
            let back = DomainEvent::decode(t.as_str(), t.current_version(), &e.payload_json().unwrap(), &Upcasters::standard()).unwrap();
            prop_assert_eq!(&back, &e);
            let env = envelope(i, &e);
            let text = serde_json::to_string(&env).unwrap();
            let env_back: Envelope = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(env_back, env);
        }
    }
}

#[test]
fn a_schema_1_kiosk_ticket_keeps_its_number_and_counts_as_expired() {
    let env: Envelope = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("TicketIssued.v1.json")).unwrap(),
    )
    .unwrap();
    match env.decode(&Upcasters::standard()).unwrap() {
        DomainEvent::TicketIssued(p) => {
            assert_eq!(p.ticket.number, 235);
            assert_eq!(p.ticket.expires_at, Timestamp::from_unix_millis(0));
            assert_eq!(p.ticket.lines.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn older_payloads_are_upcast_and_unknown_ones_are_refused() {
    let order = "0192f0e4-0000-7000-8000-000000000005";
    // Pretend v0 of OrderShipped called the field `tracking_number`.
    let v0 = format!(r#"{{"order_id":"{order}","tracking_number":"JJD1"}}"#);
    let mut upcasters = Upcasters::standard();
    let missing = DomainEvent::decode("OrderShipped", 0, &v0, &upcasters);
    assert!(
        matches!(
            missing,
            Err(EventDecodeError::Upcast {
                from: 0,
                source: UpcastError::Missing,
                ..
            })
        ),
        "{missing:?}"
    );
    upcasters.register(
        EventType::OrderShipped,
        0,
        rustok_core::testing::order_shipped_v0_to_v1,
    );
    match DomainEvent::decode("OrderShipped", 0, &v0, &upcasters).unwrap() {
        DomainEvent::OrderShipped(p) => assert_eq!(p.tracking.unwrap().as_str(), "JJD1"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        DomainEvent::decode("OrderShipped", 2, &v0, &upcasters),
        Err(EventDecodeError::UnknownSchemaVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));
    assert!(matches!(
        DomainEvent::decode("OrderTeleported", 1, "{}", &upcasters),
        Err(EventDecodeError::UnknownType(_))
    ));
    let bad_sign = format!(
        r#"{{"movement_id":"{order}","product_id":"{order}","kind":"received","delta":-3,"on_hand_after":0}}"#
    );
    assert!(matches!(
        DomainEvent::decode("StockMoved", 1, &bad_sign, &upcasters),
        Err(EventDecodeError::Invalid { .. })
    ));
    assert!(matches!(
        DomainEvent::decode("OrderConfirmed", 1, "{not json", &upcasters),
        Err(EventDecodeError::Malformed { .. })
    ));
}

#[test]
fn every_stored_envelope_decodes_and_has_a_unique_time_ordered_id() {
    let t = spawn_shop();
    let p = t.product("ENV", 100, 5);
    t.open_shift(0);
    t.sell(&[(&p, 2)]);
    let events = t.shop.store().events_after(0, 1000).unwrap();
    let mut ids: Vec<_> = events.iter().map(|e| e.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), events.len());
    for e in &events {
        e.decode(&Upcasters::standard())
            .unwrap_or_else(|err| panic!("{}: {err}", e.event_type));
        assert_eq!(e.id.as_uuid().get_version_num(), 7);
    }
}

/// Keeps every envelope handed out at commit.
#[derive(Default)]
struct Committed(std::sync::Mutex<Vec<Envelope>>);

impl rustok_core::store::CommitListener for Committed {
    fn committed(&self, events: &[Envelope]) {
        self.0.lock().unwrap().extend_from_slice(events);
    }
}

/// Every column of a stored event reads back as the envelope handed to listeners at
/// commit. A transaction's events go in one statement with the values they share
/// bound once, so a misnumbered parameter would file one id under another column;
/// the second transaction sets every optional column (causation, central origin).
#[test]
fn stored_events_read_back_exactly_as_committed() {
    use rustok_core::domain::clock::Clock as _;
    use rustok_core::store::EventMeta;
    use rustok_core::testing::SeededEntropy;
    let t = spawn_shop();
    let store = t.shop.store().clone();
    let seen = std::sync::Arc::new(Committed::default());
    store.subscribe(seen.clone());
    let p = t.product("RB", 250, 9);
    t.open_shift(0);
    t.sell(&[(&p, 2)]);
    let cause = seen.0.lock().unwrap().last().unwrap().id;
    let entropy = SeededEntropy::new(99);
    let now = t.clock.now();
    let meta = EventMeta {
        actor_id: Some(t.admin.operator_id()),
        correlation_id: CorrelationId::generate(now, &entropy),
        causation_id: Some(cause),
        origin: Origin::Central,
        now,
        entropy: &entropy,
    };
    store
        .write(&meta, |tx| {
            tx.append(OperatorRoleChanged {
                operator_id: t.cashier.operator_id(),
                from: Role::Cashier,
                to: Role::Manager,
            })
            .map(|_| ())
        })
        .unwrap();
    let committed = seen.0.lock().unwrap().clone();
    assert!(committed.len() >= 5, "{} events", committed.len());
    let first = committed[0].seq;
    let stored = store.events_after(first - 1, 1000).unwrap();
    assert_eq!(stored.len(), committed.len());
    for (s, c) in stored.iter().zip(&committed) {
        // Column by column, so a failure names the ones that differ.
        let columns = [
            ("id", s.id == c.id),
            ("type", s.event_type == c.event_type),
            ("schema_version", s.schema_version == c.schema_version),
            ("tenant_id", s.tenant_id == c.tenant_id),
            ("device_id", s.device_id == c.device_id),
            ("seq", s.seq == c.seq),
            ("hlc", s.hlc == c.hlc),
            ("occurred_at", s.occurred_at == c.occurred_at),
            ("actor_id", s.actor_id == c.actor_id),
            ("correlation_id", s.correlation_id == c.correlation_id),
            ("causation_id", s.causation_id == c.causation_id),
            ("origin", s.origin == c.origin),
            ("data", s.data.get() == c.data.get()),
        ];
        let differ: Vec<&str> = columns.iter().filter(|c| !c.1).map(|c| c.0).collect();
        assert!(
            differ.is_empty(),
            "seq {}: {differ:?} differ\nstored:    {s:?}\ncommitted: {c:?}",
            c.seq
        );
        assert_eq!(s, c);
    }
    let last = stored.last().unwrap();
    assert_eq!(last.causation_id, Some(cause));
    assert_eq!(last.origin, Origin::Central);
    assert_eq!(last.actor_id, Some(t.admin.operator_id()));
}

/// The project's first upcaster: a schema-1 refund (the whole order through one
/// tender) is a refund of every line in full through that tender, completing the
/// order; a schema-1 payload without what that needs is refused, never guessed.
#[test]
fn an_old_full_refund_is_a_refund_of_every_line() {
    let v1 = std::fs::read_to_string(fixture_dir().join("OrderRefunded.v1.json")).unwrap();
    let env: Envelope = serde_json::from_str(&v1).unwrap();
    let DomainEvent::OrderRefunded(p) = env.decode(&Upcasters::standard()).unwrap() else {
        panic!("not a refund");
    };
    assert_eq!(p.refund.items, RefundedItems::Every { restock: true });
    assert_eq!(
        p.refund.payments,
        [RefundPayment {
            method: PaymentMethod::Cash,
            amount: 1234
        }]
    );
    assert_eq!(p.refund.amount, 1234);
    assert_eq!(p.refund.reason.unwrap().as_str(), "Sample Тест");
    assert!(p.complete);
    assert!(p.cash_session_id.is_some());
    let order = "0192f0e4-0000-7000-8000-000000000006";
    for broken in [
        format!(r#"{{"order_id":"{order}"}}"#),
        format!(
            r#"{{"order_id":"{order}","refund":{{"amount":"12","method":"cash","restock":true}}}}"#
        ),
        format!(r#"{{"order_id":"{order}","refund":{{"amount":12,"restock":true}}}}"#),
        format!(
            r#"{{"order_id":"{order}","refund":{{"amount":-12,"method":"cash","restock":true}}}}"#
        ),
        "[]".to_owned(),
    ] {
        let r = DomainEvent::decode("OrderRefunded", 1, &broken, &Upcasters::standard());
        assert!(
            matches!(
                r,
                Err(EventDecodeError::Upcast { .. } | EventDecodeError::Invalid { .. })
            ),
            "{broken}: {r:?}"
        );
    }
}
