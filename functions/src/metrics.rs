//! Counts of what the forms refused to do, for the operators: kept in the
//! process (tests and `serve` read them) and told as they happen: in a
//! Lambda as a CloudWatch embedded-metric line (namespace `CCG/Forms`, one
//! dimension, the function), elsewhere as a log line. Never personal data.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A form asked for an email to an address that had its hour's or day's
    /// emails already (`forms.emails_per_address`): none went.
    MailCapped,
    /// An answer took longer than `forms.answer_floor_ms` to make, so its
    /// time was not hidden: the floor needs raising.
    AnswerFloorExceeded,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::MailCapped => "MailCapped",
            Metric::AnswerFloorExceeded => "AnswerFloorExceeded",
        }
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// The Lambda function's name: counts go out as embedded-metric lines.
    lambda: Option<String>,
    mail_capped: AtomicU64,
    floor_exceeded: AtomicU64,
}

impl Metrics {
    /// Counts told to CloudWatch from the Lambda function `function`.
    pub fn for_lambda(function: &str) -> Metrics {
        Metrics { lambda: Some(function.to_string()), ..Metrics::default() }
    }

    fn counter(&self, m: Metric) -> &AtomicU64 {
        match m {
            Metric::MailCapped => &self.mail_capped,
            Metric::AnswerFloorExceeded => &self.floor_exceeded,
        }
    }

    pub fn count(&self, m: Metric) {
        self.counter(m).fetch_add(1, Ordering::Relaxed);
        match &self.lambda {
            // stdout, one JSON object a line: what CloudWatch Logs reads as an embedded metric.
            Some(function) => println!("{}", emf_line(m, function, jiff::Timestamp::now().as_millisecond())),
            None => tracing::info!(metric = m.name(), "counted"),
        }
    }

    /// How many times `m` was counted by this process.
    pub fn get(&self, m: Metric) -> u64 {
        self.counter(m).load(Ordering::Relaxed)
    }
}

/// One count of `m` in CloudWatch's embedded metric format.
fn emf_line(m: Metric, function: &str, at_ms: i64) -> String {
    serde_json::json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{ "Namespace": "CCG/Forms", "Dimensions": [["Function"]], "Metrics": [{ "Name": m.name(), "Unit": "Count" }] }]
        },
        "Function": function,
        m.name(): 1
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_kept_and_said_in_the_embedded_metric_format() {
        let m = Metrics::default();
        m.count(Metric::MailCapped);
        m.count(Metric::MailCapped);
        assert_eq!((m.get(Metric::MailCapped), m.get(Metric::AnswerFloorExceeded)), (2, 0));
        let line: serde_json::Value = serde_json::from_str(&emf_line(Metric::MailCapped, "ccg-travel-claim", 1_800_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], "MailCapped");
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "Function");
        assert_eq!((line["Function"].as_str(), line["MailCapped"].as_i64()), (Some("ccg-travel-claim"), Some(1)));
    }
}
