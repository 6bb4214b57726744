//! The UI's types come from Rust: every DTO the commands return, and the error
//! shape, declared in TypeScript by ts-rs into `ui/src/generated/dto.ts`, which
//! `api.ts` uses and svelte-check checks the screens against. A DTO changed without
//! its declaration fails here (run with `RUSTOK_WRITE_BINDINGS=1` to write it, then
//! review the diff). Integers are `number`: that is what JSON gives JavaScript.

use rustok_app::config::file::{Language, Paper, Problem, ProblemCode, ShownValue, Source};
use rustok_app::config::hub::FileState;
use rustok_app::dto::import::{ImportProgressDto, ImportReportDto, RejectedRowDto};
use rustok_app::dto::settings::{ConfigDto, DeviceProfileDto, SettingsDto, ShopSettingsDto};
use rustok_app::dto::sync::{DeadLetterDto, JoinProgressDto, SyncStatusDto};
use rustok_app::dto::*;
use rustok_app::error::{ApiError, ApiFieldError};
use rustok_core::domain::order::OrderActionKind;
use rustok_core::domain::permission::Operation;
use std::path::Path;
use ts_rs::TS;

fn declarations() -> String {
    let decls = [
        AppInfoDto::decl(),
        LoginChoiceDto::decl(),
        SessionDto::decl(),
        ProductDto::decl(),
        ClashDto::decl(),
        ClashHolderDto::decl(),
        LineDto::decl(),
        QuoteDto::decl(),
        ShortLineDto::decl(),
        PaymentDto::decl(),
        HistoryDto::decl(),
        OrderDto::decl(),
        RefundDto::decl(),
        RefundPaymentDto::decl(),
        RefundLineDto::decl(),
        ShiftDto::decl(),
        ClosePreviewDto::decl(),
        OperatorDto::decl(),
        OperatorsDto::decl(),
        OperatorRowDto::decl(),
        StatusBarDto::decl(),
        ParkedDto::decl(),
        TitlesDto::decl(),
        CartDiscountDto::decl(),
        CartLineDto::decl(),
        CartDto::decl(),
        ShiftReportDto::decl(),
        TicketCartDto::decl(),
        TicketDto::decl(),
        TicketLineDto::decl(),
        CategoryDto::decl(),
        ContentDto::decl(),
        TranslationDto::decl(),
        ShownContentDto::decl(),
        TenderTotalDto::decl(),
        TaxLineDto::decl(),
        SyncStatusDto::decl(),
        JoinProgressDto::decl(),
        DeadLetterDto::decl(),
        SettingsDto::decl(),
        ImportProgressDto::decl(),
        ImportReportDto::decl(),
        RejectedRowDto::decl(),
        ShopSettingsDto::decl(),
        DeviceProfileDto::decl(),
        ConfigDto::decl(),
        ShownValue::decl(),
        Problem::decl(),
        ProblemCode::decl(),
        Source::decl(),
        FileState::decl(),
        Language::decl(),
        Paper::decl(),
        ApiFieldError::decl(),
        ApiError::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust DTOs by src-tauri/tests/app/bindings.rs (ts-rs); do not edit.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push('\n');
    }
    // The names the UI may call and check: the app's commands and the core's operations.
    let union = |names: Vec<String>| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    out.push_str(&format!(
        "export type Command = {};\n",
        union(crate::security::commands())
    ));
    out.push_str(&format!(
        "export type Operation = {};\n",
        union(Operation::ALL.iter().map(|o| o.name().to_owned()).collect())
    ));
    // serde_json sends every integer as a JSON number, which JavaScript reads as a
    // number (amounts stay within 2^53: `money::MAX_MINOR`), never as a bigint.
    out.replace("bigint", "number")
}

#[test]
fn the_ui_types_are_the_rust_dtos() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/dto.ts");
    let now = declarations();
    if std::env::var_os("RUSTOK_WRITE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &now).unwrap();
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == now,
        "ui/src/generated/dto.ts is stale: run `RUSTOK_WRITE_BINDINGS=1 cargo test -p rustok-app --test app bindings`, review and commit it"
    );
    // The order actions the UI may be offered are spelled as the core names them.
    for kind in OrderActionKind::ALL {
        let name = serde_json::to_value(kind).unwrap();
        assert!(
            now.contains(&format!("\"{}\"", name.as_str().unwrap())),
            "{kind:?}"
        );
    }
}
