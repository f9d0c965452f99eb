//! Counts for the operators: kept in the process (tests and `serve` read
//! them) and told as they happen: in a Lambda as a CloudWatch embedded-metric
//! line (namespace `CCG/Forms`, dimension `Function`; a metric with a kind
//! also under `Function` and `Kind`), elsewhere as a log line. Never personal
//! data: the names and kinds are closed enums, the only free value is the
//! function's name. infra/template.yaml alarms on `UnexpectedError` and
//! its dashboard reads `Refused`, `UnexpectedError` and `MailSuppressed`
//! (infra/tests/test_ops.py reads the names from `Metric::name`).

use ccg_model::rules::Refusal;
use std::collections::HashMap;
use std::sync::Mutex;

/// Why a request was refused: what a person or a client did that the forms
/// (or the desk) would not take. Expected in normal use; counted, not alarmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// 422: fields (of a form, of the desk) that do not validate.
    Invalid,
    /// 403: not from the site's origin, not through CloudFront, not staff, a passkey needed.
    Forbidden,
    /// 409: a record changed meanwhile, a claim that cannot be withdrawn, a request in progress.
    Conflict,
    /// 410: a link that does not work, or was used.
    Gone,
    /// 409: a claim the travel rules refuse, by its reason.
    Claim(Refusal),
}

impl Refused {
    pub fn kind(self) -> &'static str {
        match self {
            Refused::Invalid => "invalid",
            Refused::Forbidden => "forbidden",
            Refused::Conflict => "conflict",
            Refused::Gone => "gone",
            Refused::Claim(r) => r.code(),
        }
    }

    /// The refusal an answer's status says, when the answer named none.
    pub fn of_status(status: http::StatusCode) -> Option<Refused> {
        match status.as_u16() {
            403 => Some(Refused::Forbidden),
            409 => Some(Refused::Conflict),
            410 => Some(Refused::Gone),
            422 => Some(Refused::Invalid),
            _ => None,
        }
    }
}

/// What should not happen: alarmed on (`UnexpectedErrorsAlarm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unexpected {
    /// 503: the store failed or did not answer in time.
    StoreUnavailable,
    /// 500: a stored record does not parse.
    Corrupt,
    /// 503: SES did not take an email.
    MailNotSent,
    /// 500 for any other reason.
    Internal,
    /// Any other 5xx.
    ServerError,
    /// Outside a request (mail-events): the store failed.
    StoreFailed,
    /// Outside a request (mail-events): a notification that does not decode.
    BadEvent,
}

impl Unexpected {
    pub fn kind(self) -> &'static str {
        match self {
            Unexpected::StoreUnavailable => "store_unavailable",
            Unexpected::Corrupt => "corrupt_record",
            Unexpected::MailNotSent => "mail_not_sent",
            Unexpected::Internal => "internal",
            Unexpected::ServerError => "server_error",
            Unexpected::StoreFailed => "store_failed",
            Unexpected::BadEvent => "bad_event",
        }
    }

    /// The unexpected error an answer's status says, when the answer named none.
    pub fn of_status(status: http::StatusCode) -> Option<Unexpected> {
        match status.as_u16() {
            500 => Some(Unexpected::Internal),
            503 => Some(Unexpected::StoreUnavailable),
            s if s >= 500 => Some(Unexpected::ServerError),
            _ => None,
        }
    }
}

/// What SES told of an email (mail-events), by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailEvent {
    Send,
    Delivery,
    Reject,
    /// A permanent bounce: the address is suppressed.
    HardBounce,
    /// A transient or undetermined bounce: counted, not suppressed.
    SoftBounce,
    /// A complaint: the address is suppressed.
    Complaint,
    /// Any other event type the destination sends.
    Other,
}

impl MailEvent {
    pub fn kind(self) -> &'static str {
        match self {
            MailEvent::Send => "send",
            MailEvent::Delivery => "delivery",
            MailEvent::Reject => "reject",
            MailEvent::HardBounce => "hard_bounce",
            MailEvent::SoftBounce => "soft_bounce",
            MailEvent::Complaint => "complaint",
            MailEvent::Other => "other",
        }
    }
}

/// Why an address gets no more email: it bounced for good, or its owner complained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppressed {
    Bounce,
    Complaint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A form asked for an email to an address that had its hour's or day's
    /// emails already (`forms.emails_per_address`): none went.
    MailCapped,
    /// An answer took longer than `forms.answer_floor_ms` to make, so its
    /// time was not hidden: the floor needs raising.
    AnswerFloorExceeded,
    /// A request refused, by kind.
    Refused(Refused),
    /// An error that should not happen, by kind.
    UnexpectedError(Unexpected),
    /// An email not sent because its address bounced or complained before.
    MailSuppressed(Suppressed),
    /// An SES event mail-events read.
    MailEvent(MailEvent),
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::MailCapped => "MailCapped",
            Metric::AnswerFloorExceeded => "AnswerFloorExceeded",
            Metric::Refused(_) => "Refused",
            Metric::UnexpectedError(_) => "UnexpectedError",
            Metric::MailSuppressed(_) => "MailSuppressed",
            Metric::MailEvent(_) => "MailEvent",
        }
    }

    /// The value of the `Kind` dimension, for the metrics that have one.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            Metric::MailCapped | Metric::AnswerFloorExceeded => None,
            Metric::Refused(r) => Some(r.kind()),
            Metric::UnexpectedError(u) => Some(u.kind()),
            Metric::MailSuppressed(Suppressed::Bounce) => Some("bounce"),
            Metric::MailSuppressed(Suppressed::Complaint) => Some("complaint"),
            Metric::MailEvent(e) => Some(e.kind()),
        }
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// The Lambda function's name: counts go out as embedded-metric lines.
    lambda: Option<String>,
    /// By name and kind.
    counts: Mutex<HashMap<(&'static str, Option<&'static str>), u64>>,
}

impl Metrics {
    /// Counts told to CloudWatch from the Lambda function `function`.
    pub fn for_lambda(function: &str) -> Metrics {
        Metrics { lambda: Some(function.to_string()), ..Metrics::default() }
    }

    pub fn count(&self, m: Metric) {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner()).entry((m.name(), m.kind())).or_default() += 1;
        match &self.lambda {
            // stdout, one JSON object a line: what CloudWatch Logs reads as an embedded metric.
            Some(function) => println!("{}", emf_line(m, function, jiff::Timestamp::now().as_millisecond())),
            None => tracing::info!(metric = m.name(), kind = m.kind().unwrap_or("-"), "counted"),
        }
    }

    /// How many times `m` was counted by this process.
    pub fn get(&self, m: Metric) -> u64 {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).get(&(m.name(), m.kind())).copied().unwrap_or(0)
    }

    /// How many times a metric named `name` was counted, whatever its kind.
    pub fn total(&self, name: &str) -> u64 {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|((n, _), _)| *n == name).map(|(_, c)| c).sum()
    }

    /// Counts what an answer of `status` was: a refusal (`refused` when the
    /// answer named its kind), an unexpected error (`unexpected` likewise),
    /// or nothing (2xx, 3xx, 404).
    pub fn count_answer(&self, status: http::StatusCode, refused: Option<Refused>, unexpected: Option<Unexpected>) {
        if status.is_server_error() {
            if let Some(u) = unexpected.or_else(|| Unexpected::of_status(status)) {
                self.count(Metric::UnexpectedError(u));
            }
        } else if let Some(r) = refused.or_else(|| Refused::of_status(status)) {
            self.count(Metric::Refused(r));
        }
    }
}

/// One count of `m` in CloudWatch's embedded metric format: per function,
/// and (for a metric with a kind) per function and kind.
fn emf_line(m: Metric, function: &str, at_ms: i64) -> String {
    let mut line = serde_json::json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{ "Namespace": "CCG/Forms", "Dimensions": [["Function"]], "Metrics": [{ "Name": m.name(), "Unit": "Count" }] }]
        },
        "Function": function,
        m.name(): 1
    });
    if let Some(kind) = m.kind() {
        line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = serde_json::json!([["Function"], ["Function", "Kind"]]);
        line["Kind"] = serde_json::json!(kind);
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn a_count_is_kept_and_said_in_the_embedded_metric_format() {
        let m = Metrics::default();
        m.count(Metric::MailCapped);
        m.count(Metric::MailCapped);
        assert_eq!((m.get(Metric::MailCapped), m.get(Metric::AnswerFloorExceeded)), (2, 0));
        let line: serde_json::Value = serde_json::from_str(&emf_line(Metric::MailCapped, "ccg-travel-claim", 1_800_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], "MailCapped");
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Function"]]));
        assert_eq!((line["Function"].as_str(), line["MailCapped"].as_i64()), (Some("ccg-travel-claim"), Some(1)));
        assert!(line.get("Kind").is_none());
    }

    #[test]
    fn a_kind_goes_in_its_own_dimension_set_beside_the_functions() {
        let m = Metric::Refused(Refused::Claim(Refusal::OverYearlyAmount));
        let line: serde_json::Value = serde_json::from_str(&emf_line(m, "ccg-travel-claim", 1_800_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "CCG/Forms");
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Function"], ["Function", "Kind"]]));
        assert_eq!((line["Kind"].as_str(), line["Refused"].as_i64()), (Some("over_yearly_amount"), Some(1)));
        let line: serde_json::Value = serde_json::from_str(&emf_line(Metric::UnexpectedError(Unexpected::Corrupt), "f", 0)).unwrap();
        assert_eq!((line["Kind"].as_str(), line["UnexpectedError"].as_i64()), (Some("corrupt_record"), Some(1)));
    }

    #[test]
    fn answers_are_counted_as_refusals_or_unexpected_errors_by_status_unless_named() {
        let m = Metrics::default();
        for s in [200, 202, 303, 404, 429] {
            m.count_answer(StatusCode::from_u16(s).unwrap(), None, None);
        }
        assert_eq!((m.total("Refused"), m.total("UnexpectedError")), (0, 0));
        m.count_answer(StatusCode::UNPROCESSABLE_ENTITY, None, None);
        m.count_answer(StatusCode::FORBIDDEN, None, None);
        m.count_answer(StatusCode::GONE, None, None);
        m.count_answer(StatusCode::CONFLICT, None, None);
        m.count_answer(StatusCode::CONFLICT, Some(Refused::Claim(Refusal::AlreadyClaimed)), None);
        for r in [Refused::Invalid, Refused::Forbidden, Refused::Gone, Refused::Conflict, Refused::Claim(Refusal::AlreadyClaimed)] {
            assert_eq!(m.get(Metric::Refused(r)), 1, "{r:?}");
        }
        m.count_answer(StatusCode::SERVICE_UNAVAILABLE, None, None);
        m.count_answer(StatusCode::SERVICE_UNAVAILABLE, None, Some(Unexpected::MailNotSent));
        m.count_answer(StatusCode::INTERNAL_SERVER_ERROR, None, Some(Unexpected::Corrupt));
        m.count_answer(StatusCode::BAD_GATEWAY, None, None);
        for u in [Unexpected::StoreUnavailable, Unexpected::MailNotSent, Unexpected::Corrupt, Unexpected::ServerError] {
            assert_eq!(m.get(Metric::UnexpectedError(u)), 1, "{u:?}");
        }
        assert_eq!((m.total("Refused"), m.total("UnexpectedError")), (5, 4));
    }

    #[test]
    fn every_kind_is_a_short_name_without_personal_data() {
        let all = [
            Metric::Refused(Refused::Invalid),
            Metric::Refused(Refused::Claim(Refusal::MeetingClosed)),
            Metric::UnexpectedError(Unexpected::BadEvent),
            Metric::MailSuppressed(Suppressed::Complaint),
            Metric::MailEvent(MailEvent::HardBounce),
        ];
        for m in all {
            let k = m.kind().unwrap();
            assert!(k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && k.len() < 32, "{k}");
        }
    }
}
