//! A tenant's fleet as head office sees it: each device's state (healthy, warning,
//! stale, revoked) and the reasons, judged from its last health report at one
//! instant of central's clock.

use rustok_protocol::{
    device_reasons as why, DeviceHealth, DeviceState, HealthReport, CLOCK_OFF_MS,
};

/// A device not heard from for this long is stale (it reports every minute while
/// it reaches central).
pub const STALE_AFTER_MS: i64 = 15 * 60 * 1000;
/// An unsent event older than this is worth a look (the till has been cut off from
/// central, or something refuses its events).
pub const QUEUE_OLD_SECS: u64 = 15 * 60;

/// A device's health joins its history at most this often while nothing that head
/// office looks at changes (a device reports every minute).
pub const HISTORY_EVERY_MS: i64 = 5 * 60 * 1000;
/// How long a device's health history is kept: a week.
pub const HISTORY_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

/// Whether a report received at `now_ms` joins the device's history, after the
/// last one kept (when it was received, and the report, if it still reads): when
/// the last is older than [`HISTORY_EVERY_MS`], or the report differs in what head
/// office looks at (breaker, app or schema version, kind, an empty or non-empty
/// queue, dead letters aside: those are counted at central).
pub fn worth_keeping(last: Option<(i64, &HealthReport)>, now_ms: i64, r: &HealthReport) -> bool {
    let Some((at, l)) = last else {
        return true;
    };
    now_ms.saturating_sub(at) >= HISTORY_EVERY_MS
        || l.breaker != r.breaker
        || l.app_version != r.app_version
        || l.schema_version != r.schema_version
        || l.kind != r.kind
        || (l.queue_depth == 0) != (r.queue_depth == 0)
}

/// The state of a device with health `h` at `now_ms`, and why it is not healthy.
pub fn assess(h: &DeviceHealth, now_ms: i64) -> (DeviceState, Vec<String>) {
    if h.revoked {
        return (DeviceState::Revoked, vec![why::REVOKED.to_owned()]);
    }
    let mut reasons = Vec::new();
    let stale = match h.reported_at_ms {
        None => {
            reasons.push(why::NEVER_REPORTED);
            true
        }
        // Checked: a report stamped in the future (a clock moved back) is not stale.
        Some(at) if now_ms.saturating_sub(at) > STALE_AFTER_MS => {
            reasons.push(why::SILENT);
            true
        }
        Some(_) => false,
    };
    if h.quarantined > 0 {
        reasons.push(why::DEAD_LETTERS);
    }
    if let Some(r) = &h.report {
        if r.oldest_pending_secs.is_some_and(|s| s > QUEUE_OLD_SECS) {
            reasons.push(why::QUEUE_OLD);
        }
        if r.breaker != "closed" {
            reasons.push(why::BREAKER);
        }
    }
    if h.clock_skew_ms
        .is_some_and(|s| s.unsigned_abs() > CLOCK_OFF_MS.unsigned_abs())
    {
        reasons.push(why::CLOCK);
    }
    let state = if stale {
        DeviceState::Stale
    } else if reasons.is_empty() {
        DeviceState::Healthy
    } else {
        DeviceState::Warning
    };
    (state, reasons.into_iter().map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustok_domain::ids::{DeviceId, TenantId};
    use rustok_protocol::{DeviceKind, PROTOCOL_VERSION};

    const NOW: i64 = 1_800_000_000_000;

    fn reporting() -> DeviceHealth {
        DeviceHealth {
            device_id: DeviceId::parse("0192f0e4-3000-7000-8000-000000000001").unwrap(),
            tenant_id: TenantId::parse("0192f0e4-3000-7000-8000-000000000002").unwrap(),
            device_code: "POS1".into(),
            revoked: false,
            acked_through: 10,
            quarantined: 0,
            reported_at_ms: Some(NOW - 60_000),
            report: Some(HealthReport {
                protocol: PROTOCOL_VERSION,
                app_version: "0.1.0".into(),
                schema_version: 16,
                queue_depth: 0,
                oldest_pending_secs: None,
                breaker: "closed".into(),
                device_time_ms: NOW - 60_000,
                kind: None,
            }),
            clock_skew_ms: Some(500),
        }
    }

    fn judged(h: &DeviceHealth) -> (DeviceState, Vec<String>) {
        assess(h, NOW)
    }

    #[test]
    fn a_device_reporting_with_nothing_wrong_is_healthy() {
        assert_eq!(judged(&reporting()), (DeviceState::Healthy, vec![]));
    }

    #[test]
    fn each_problem_is_a_warning_with_its_reason() {
        let mut h = reporting();
        h.quarantined = 1;
        assert_eq!(
            judged(&h),
            (DeviceState::Warning, vec!["dead_letters".into()])
        );
        let mut h = reporting();
        h.report.as_mut().unwrap().oldest_pending_secs = Some(QUEUE_OLD_SECS + 1);
        assert_eq!(judged(&h), (DeviceState::Warning, vec!["queue_old".into()]));
        h.report.as_mut().unwrap().oldest_pending_secs = Some(QUEUE_OLD_SECS);
        assert_eq!(judged(&h).0, DeviceState::Healthy);
        let mut h = reporting();
        h.report.as_mut().unwrap().breaker = "half_open".into();
        assert_eq!(judged(&h), (DeviceState::Warning, vec!["breaker".into()]));
        for skew in [CLOCK_OFF_MS + 1, -CLOCK_OFF_MS - 1, i64::MIN] {
            let mut h = reporting();
            h.clock_skew_ms = Some(skew);
            assert_eq!(judged(&h), (DeviceState::Warning, vec!["clock".into()]));
        }
        let mut h = reporting();
        h.clock_skew_ms = Some(-CLOCK_OFF_MS);
        assert_eq!(judged(&h).0, DeviceState::Healthy);
    }

    #[test]
    fn a_silent_or_new_device_is_stale_and_a_revoked_one_is_revoked() {
        let mut h = reporting();
        h.reported_at_ms = Some(NOW - STALE_AFTER_MS - 1);
        h.quarantined = 2;
        assert_eq!(
            judged(&h),
            (
                DeviceState::Stale,
                vec!["silent".into(), "dead_letters".into()]
            )
        );
        h.reported_at_ms = Some(NOW - STALE_AFTER_MS);
        assert_eq!(judged(&h).0, DeviceState::Warning);
        // A report stamped after central's now, or at the far past: no overflow.
        h.reported_at_ms = Some(i64::MAX);
        assert_eq!(judged(&h).0, DeviceState::Warning);
        h.reported_at_ms = Some(i64::MIN);
        assert_eq!(judged(&h).0, DeviceState::Stale);
        let mut h = reporting();
        h.reported_at_ms = None;
        h.report = None;
        h.clock_skew_ms = None;
        assert_eq!(
            judged(&h),
            (DeviceState::Stale, vec!["never_reported".into()])
        );
        h.revoked = true;
        assert_eq!(judged(&h), (DeviceState::Revoked, vec!["revoked".into()]));
    }

    #[test]
    fn history_keeps_a_report_every_few_minutes_and_every_change_that_matters() {
        let r = reporting().report.unwrap();
        assert!(worth_keeping(None, NOW, &r));
        let last = Some((NOW - HISTORY_EVERY_MS + 1, &r));
        assert!(
            !worth_keeping(last, NOW, &r),
            "the same report a minute later"
        );
        assert!(worth_keeping(Some((NOW - HISTORY_EVERY_MS, &r)), NOW, &r));
        assert!(!worth_keeping(Some((i64::MAX, &r)), i64::MIN, &r));
        let changed: [fn(&mut HealthReport); 5] = [
            |r| r.breaker = "open".into(),
            |r| r.app_version = "0.2.0".into(),
            |r| r.schema_version = 17,
            |r| r.kind = Some(DeviceKind::Kiosk),
            |r| r.queue_depth = 3,
        ];
        for change in changed {
            let mut now = r.clone();
            change(&mut now);
            assert!(worth_keeping(last, NOW, &now), "{now:?}");
        }
        let mut more = r.clone();
        more.queue_depth = 0;
        more.device_time_ms += 1;
        assert!(!worth_keeping(last, NOW, &more));
    }
}
