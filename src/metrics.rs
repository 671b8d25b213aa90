//! Counters and a latency histogram, rendered in the Prometheus text format at `GET /metrics`.
//!
//! A handful of atomics is all the service needs; no metrics registry crate is pulled in for it.
//! Labels never carry personal data (no phone numbers, no NIK).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Outcome of one `POST /webhook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Verified and committed (including payloads that were all duplicates).
    Stored,
    /// Signature missing or wrong: 401, nothing stored.
    Unauthorized,
    /// Body over the configured limit: 413.
    TooLarge,
    /// Verified but unparseable: kept in the dead-letter table, answered 200.
    DeadLetter,
    /// The database could not take it: 5xx, Meta retries.
    Unavailable,
}

impl WebhookOutcome {
    const ALL: [WebhookOutcome; 5] = [
        WebhookOutcome::Stored,
        WebhookOutcome::Unauthorized,
        WebhookOutcome::TooLarge,
        WebhookOutcome::DeadLetter,
        WebhookOutcome::Unavailable,
    ];

    fn label(self) -> &'static str {
        match self {
            WebhookOutcome::Stored => "stored",
            WebhookOutcome::Unauthorized => "unauthorized",
            WebhookOutcome::TooLarge => "too_large",
            WebhookOutcome::DeadLetter => "dead_letter",
            WebhookOutcome::Unavailable => "unavailable",
        }
    }
}

/// Upper bounds (seconds) of the processing-time histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    outcomes: [AtomicU64; 5],
    messages_stored: AtomicU64,
    messages_duplicate: AtomicU64,
    statuses_stored: AtomicU64,
    statuses_duplicate: AtomicU64,
    unrouted: AtomicU64,
    intake_transactions: AtomicU64,
    intake_payloads: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    /// Unix seconds of the last webhook that was stored; 0 when none yet.
    last_webhook_unix: AtomicU64,
    outbound_sent: AtomicU64,
    outbound_retried: AtomicU64,
    outbound_failed: AtomicU64,
    outbound_reclaimed: AtomicU64,
}

impl Metrics {
    pub fn webhook(&self, outcome: WebhookOutcome, elapsed: Duration) {
        let index = WebhookOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(0);
        self.outcomes[index].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        // Buckets are stored non-cumulatively and summed when rendered.
        if let Some(b) = BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[b].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        if outcome == WebhookOutcome::Stored {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            self.last_webhook_unix.store(now, Ordering::Relaxed);
        }
    }

    pub fn messages(&self, stored: usize, duplicate: usize) {
        self.messages_stored
            .fetch_add(stored as u64, Ordering::Relaxed);
        self.messages_duplicate
            .fetch_add(duplicate as u64, Ordering::Relaxed);
    }

    pub fn statuses(&self, stored: usize, duplicate: usize) {
        self.statuses_stored
            .fetch_add(stored as u64, Ordering::Relaxed);
        self.statuses_duplicate
            .fetch_add(duplicate as u64, Ordering::Relaxed);
    }

    /// Outbox events: `sent`, `retried`, `failed`, `reclaimed` (possibly sent twice).
    pub fn outbound(&self, event: &str, n: usize) {
        let counter = match event {
            "sent" => &self.outbound_sent,
            "retried" => &self.outbound_retried,
            "failed" => &self.outbound_failed,
            _ => &self.outbound_reclaimed,
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn unrouted(&self, n: usize) {
        self.unrouted.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// One transaction of the webhook intake committed `payloads` payloads together.
    pub fn intake_batch(&self, payloads: usize) {
        self.intake_transactions.fetch_add(1, Ordering::Relaxed);
        self.intake_payloads
            .fetch_add(payloads as u64, Ordering::Relaxed);
    }

    /// Unix seconds of the last stored webhook, if any.
    pub fn last_webhook_unix(&self) -> Option<u64> {
        match self.last_webhook_unix.load(Ordering::Relaxed) {
            0 => None,
            t => Some(t),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP kentongan_webhook_requests_total Webhook POSTs by outcome.\n");
        out.push_str("# TYPE kentongan_webhook_requests_total counter\n");
        for (o, n) in WebhookOutcome::ALL.iter().zip(&self.outcomes) {
            let _ = writeln!(
                out,
                "kentongan_webhook_requests_total{{outcome=\"{}\"}} {}",
                o.label(),
                load(n)
            );
        }
        out.push_str("# HELP kentongan_webhook_processing_seconds Time from a webhook POST's body to its answer.\n");
        out.push_str("# TYPE kentongan_webhook_processing_seconds histogram\n");
        let mut cumulative = 0;
        for (le, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += load(n);
            let _ = writeln!(
                out,
                "kentongan_webhook_processing_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let count = load(&self.latency_count);
        let _ = writeln!(
            out,
            "kentongan_webhook_processing_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "kentongan_webhook_processing_seconds_sum {}",
            load(&self.latency_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "kentongan_webhook_processing_seconds_count {count}");
        for (name, help, value) in [
            (
                "kentongan_messages_stored_total",
                "Inbound messages stored for the first time.",
                &self.messages_stored,
            ),
            (
                "kentongan_messages_duplicate_total",
                "Redelivered inbound messages that were already stored.",
                &self.messages_duplicate,
            ),
            (
                "kentongan_statuses_stored_total",
                "Status callbacks stored for the first time.",
                &self.statuses_stored,
            ),
            (
                "kentongan_statuses_duplicate_total",
                "Status callbacks already stored.",
                &self.statuses_duplicate,
            ),
            (
                "kentongan_outbound_sent_total",
                "Outbound messages accepted by the Cloud API (or the sandbox).",
                &self.outbound_sent,
            ),
            (
                "kentongan_outbound_retried_total",
                "Outbound send attempts that will be retried.",
                &self.outbound_retried,
            ),
            (
                "kentongan_outbound_failed_total",
                "Outbound messages given up as failed.",
                &self.outbound_failed,
            ),
            (
                "kentongan_outbound_reclaimed_total",
                "Outbound messages claimed by a worker that died mid-send (may be sent twice).",
                &self.outbound_reclaimed,
            ),
            (
                "kentongan_webhook_unrouted_total",
                "Webhook changes for a phone number no village owns.",
                &self.unrouted,
            ),
            (
                "kentongan_intake_transactions_total",
                "Transactions that committed webhook payloads (several payloads share one under load).",
                &self.intake_transactions,
            ),
            (
                "kentongan_intake_payloads_total",
                "Webhook payloads committed by those transactions.",
                &self.intake_payloads,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", load(value));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_histogram() {
        let m = Metrics::default();
        m.webhook(WebhookOutcome::Stored, Duration::from_micros(800));
        m.webhook(WebhookOutcome::Stored, Duration::from_millis(20));
        m.webhook(WebhookOutcome::Unauthorized, Duration::from_secs(10));
        m.messages(2, 1);
        let text = m.render();
        assert!(text.contains("kentongan_webhook_requests_total{outcome=\"stored\"} 2"));
        assert!(text.contains("kentongan_webhook_requests_total{outcome=\"unauthorized\"} 1"));
        assert!(text.contains("kentongan_webhook_processing_seconds_bucket{le=\"0.001\"} 1"));
        assert!(text.contains("kentongan_webhook_processing_seconds_bucket{le=\"0.025\"} 2"));
        assert!(text.contains("kentongan_webhook_processing_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("kentongan_messages_stored_total 2"));
        assert!(text.contains("kentongan_messages_duplicate_total 1"));
        assert!(m.last_webhook_unix().is_some());
    }
}
