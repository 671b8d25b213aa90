//! What can go wrong talking to the Graph API, and what the outbox should do about it.
//!
//! Meta's error body is `{"error":{"message","type","code","error_subcode","error_data":{"details"},
//! "fbtrace_id"}}`; the decision is made on `code` (DOMAIN §5), falling back to the HTTP status
//! when the body carries no code (a proxy's 502 page, a bare 429).

use std::time::Duration;

/// Longest wait a `Retry-After` header may ask for; anything longer is treated as this, so a
/// misbehaving proxy cannot park a message for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);
/// Ceiling of the exponential backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Share of the delay added at most by jitter (`jitter` 1.0 adds 25 %), so that messages that
/// failed together do not all come back in the same second.
pub const JITTER_SHARE: f64 = 0.25;
/// 131000 ("something went wrong") is sometimes a bug on our side: retry only this many times.
pub const GENERIC_MAX_ATTEMPTS: u32 = 3;

/// Base delay after 130429: the business number's throughput (80 msg/s by default) is exhausted.
pub const THROUGHPUT_BASE: Duration = Duration::from_secs(2);
/// Base delay after 131056: about one message per 6 s to the same user; Meta advises 1, 4, 16 … s.
pub const PAIR_RATE_BASE: Duration = Duration::from_secs(1);
/// Base delay after a temporary or capacity error (131057, 4, 80007, 1, 2, 131000, 5xx).
pub const TEMPORARY_BASE: Duration = Duration::from_secs(5);
/// Base delay after a timeout or a network error.
pub const NETWORK_BASE: Duration = Duration::from_secs(2);

/// One error as Meta reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub http_status: u16,
    /// Meta's `error.code`; `None` when the body was not a Graph error (e.g. an HTML 502 page).
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// `error.type`, e.g. `OAuthException`.
    pub error_type: Option<String>,
    /// `error.message` (or `error_user_title` when Meta gives one).
    pub message: String,
    /// `error.error_data.details`: the most specific explanation Meta gives.
    pub details: Option<String>,
    /// Quote this to Meta's support.
    pub fbtrace_id: Option<String>,
    /// The `Retry-After` header, when the response had one.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Build from a non-success response's status, body and `Retry-After` header. Never fails:
    /// whatever the body is, the status alone still classifies the error.
    pub fn from_response(http_status: u16, body: &[u8], retry_after: Option<&str>) -> Self {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let text = |key: &str| {
            error
                .and_then(|e| e.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let number = |key: &str| error.and_then(|e| e.get(key)).and_then(as_i64);
        let message = text("message")
            .or_else(|| text("error_user_title"))
            .unwrap_or_else(|| {
                // Not a Graph error body: keep a short, printable excerpt for the log.
                let excerpt: String = String::from_utf8_lossy(body).chars().take(200).collect();
                format!("HTTP {http_status}: {excerpt}")
            });
        ApiError {
            http_status,
            code: number("code"),
            subcode: number("error_subcode"),
            error_type: text("type"),
            message,
            details: error
                .and_then(|e| e.pointer("/error_data/details"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            fbtrace_id: text("fbtrace_id"),
            retry_after: retry_after.and_then(parse_retry_after),
        }
    }
}

/// Meta sends codes as numbers; tolerate numeric strings too.
fn as_i64(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// `Retry-After` in seconds. (The HTTP-date form is not used by Meta; it is ignored.)
fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.http_status)?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        if let Some(sub) = self.subcode {
            write!(f, "/{sub}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

/// Media download failures that are ours to detect (Meta's own errors are [`GraphError::Api`]).
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media id {0:?} is not a valid Graph id")]
    InvalidId(String),
    #[error("media is announced as {announced} bytes; the limit for {mime_type} is {limit}")]
    TooLarge {
        mime_type: String,
        announced: u64,
        limit: u64,
    },
    #[error("media body exceeded {limit} bytes; download aborted")]
    BodyTooLarge { limit: u64 },
    #[error("media body has {actual} bytes but {announced} were announced")]
    SizeMismatch { announced: u64, actual: u64 },
    #[error("media sha256 is {actual} but {expected} was announced")]
    ShaMismatch { expected: String, actual: String },
    #[error("media url {0:?} would send the access token over plain http")]
    InsecureUrl(String),
    #[error("cannot write media file: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with an error (or a non-success status).
    #[error("Graph API error: {0}")]
    Api(Box<ApiError>),
    /// No complete answer within the client's timeout. The message may still have been sent.
    #[error("Graph API request timed out")]
    Timeout,
    #[error("cannot reach the Graph API: {0}")]
    Network(String),
    /// A success status with a body we cannot use (e.g. no wamid).
    #[error("unexpected Graph API response: {0}")]
    InvalidResponse(String),
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The client itself could not be built (bad base URL, TLS setup).
    #[error("Graph API client misconfigured: {0}")]
    Config(String),
}

impl From<ApiError> for GraphError {
    fn from(e: ApiError) -> Self {
        GraphError::Api(Box::new(e))
    }
}

impl From<reqwest::Error> for GraphError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            GraphError::Timeout
        } else {
            // reqwest's message names the URL but never the headers, so no token leaks here.
            GraphError::Network(error_chain(&e))
        }
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// How the delay grows from one attempt to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// base · 2^attempt
    Double,
    /// base · 4^attempt: Meta's advice for the pair rate limit (1, 4, 16 … s).
    Quadruple,
    /// The server said exactly when (`Retry-After`): wait that long every time.
    Fixed,
}

/// What the outbox does with a failed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later; `after` is the base delay, see [`retry_delay`].
    Retry { after: Duration, backoff: Backoff },
    /// Outside the 24-hour window: only an approved template can reach the resident now.
    UseTemplate,
    /// This message will never go through (undeliverable, or a bug in what we sent).
    Permanent,
    /// The access token is expired or revoked: nothing will go through until an admin acts.
    CredentialsBroken,
    /// Meta blocked the number for spam or policy: stop sending and alert.
    PolicyBlocked,
}

impl ErrorClass {
    fn retry(after: Duration, backoff: Backoff) -> Self {
        ErrorClass::Retry { after, backoff }
    }

    pub fn is_retry(&self) -> bool {
        matches!(self, ErrorClass::Retry { .. })
    }
}

/// DOMAIN §5's table, by Meta's error code. `None` for codes it does not name.
fn class_of_code(code: i64) -> Option<ErrorClass> {
    Some(match code {
        130429 => ErrorClass::retry(THROUGHPUT_BASE, Backoff::Double),
        131056 => ErrorClass::retry(PAIR_RATE_BASE, Backoff::Quadruple),
        131057 | 4 | 80007 | 1 | 2 | 131000 => ErrorClass::retry(TEMPORARY_BASE, Backoff::Double),
        131047 => ErrorClass::UseTemplate,
        131026 => ErrorClass::Permanent,
        131048 | 368 => ErrorClass::PolicyBlocked,
        100 | 131051 => ErrorClass::Permanent,
        // A business-scoped user id (username-only resident) cannot receive this kind of message.
        131062 => ErrorClass::Permanent,
        190 => ErrorClass::CredentialsBroken,
        _ => return None,
    })
}

fn class_of_status(status: u16) -> ErrorClass {
    match status {
        429 => ErrorClass::retry(THROUGHPUT_BASE, Backoff::Double),
        500..=599 => ErrorClass::retry(TEMPORARY_BASE, Backoff::Double),
        // Meta reports a bad token as code 190; a bare 401 (no Graph body) means the same.
        401 => ErrorClass::CredentialsBroken,
        _ => ErrorClass::Permanent,
    }
}

impl ApiError {
    pub fn class(&self) -> ErrorClass {
        let class = self
            .code
            .and_then(class_of_code)
            .unwrap_or_else(|| class_of_status(self.http_status));
        match (class, self.retry_after) {
            // The server's own word beats our guess.
            (ErrorClass::Retry { .. }, Some(after)) => ErrorClass::retry(after, Backoff::Fixed),
            _ => class,
        }
    }
}

impl GraphError {
    pub fn class(&self) -> ErrorClass {
        match self {
            GraphError::Api(e) => e.class(),
            GraphError::Timeout | GraphError::Network(_) => {
                ErrorClass::retry(NETWORK_BASE, Backoff::Double)
            }
            // Meta answered 2xx, so the message was most likely accepted: retrying risks sending
            // it twice. An officer looks at it instead.
            GraphError::InvalidResponse(_) => ErrorClass::Permanent,
            GraphError::Media(m) => match m {
                // A short or corrupted transfer (or a full local disk) may well work next time.
                MediaError::SizeMismatch { .. }
                | MediaError::ShaMismatch { .. }
                | MediaError::Io(_) => ErrorClass::retry(NETWORK_BASE, Backoff::Double),
                MediaError::InvalidId(_)
                | MediaError::TooLarge { .. }
                | MediaError::BodyTooLarge { .. }
                | MediaError::InsecureUrl(_) => ErrorClass::Permanent,
            },
            GraphError::Config(_) => ErrorClass::Permanent,
        }
    }

    /// A cap on attempts that is stricter than the outbox's general one, if this error has one.
    pub fn max_attempts(&self) -> Option<u32> {
        match self {
            GraphError::Api(e) if e.code == Some(131000) => Some(GENERIC_MAX_ATTEMPTS),
            _ => None,
        }
    }

    /// Meta's error code, for metrics and the outbox's `last_error`.
    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api(e) => e.code,
            _ => None,
        }
    }
}

/// How long to wait before retry number `attempt` (0 for the first retry) of an error of class
/// `class`; `jitter` is a random number in `[0, 1)` (clamped) supplied by the caller so that this
/// stays pure. Classes that are not `Retry` give zero. Exponential delays stop growing at
/// [`MAX_BACKOFF`]; a server-given `Retry-After` (Backoff::Fixed) is honoured as is.
pub fn retry_delay(class: ErrorClass, attempt: u32, jitter: f64) -> Duration {
    let ErrorClass::Retry { after, backoff } = class else {
        return Duration::ZERO;
    };
    let factor: f64 = match backoff {
        Backoff::Double => 2f64.powi(attempt.min(64) as i32),
        Backoff::Quadruple => 4f64.powi(attempt.min(32) as i32),
        Backoff::Fixed => 1.0,
    };
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let secs = after.as_secs_f64() * factor * (1.0 + JITTER_SHARE * jitter);
    let cap = match backoff {
        Backoff::Fixed => MAX_RETRY_AFTER.as_secs_f64() * (1.0 + JITTER_SHARE),
        Backoff::Double | Backoff::Quadruple => MAX_BACKOFF.as_secs_f64(),
    };
    Duration::from_secs_f64(secs.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<i64>) -> GraphError {
        let body = match code {
            Some(c) => format!(
                r#"{{"error":{{"message":"m","type":"OAuthException","code":{c},"fbtrace_id":"T"}}}}"#
            ),
            None => "<html>bad gateway</html>".to_string(),
        };
        ApiError::from_response(status, body.as_bytes(), None).into()
    }

    fn retry(after: Duration, backoff: Backoff) -> ErrorClass {
        ErrorClass::Retry { after, backoff }
    }

    #[test]
    fn classification_follows_the_table() {
        use ErrorClass::*;
        let double = |d| retry(d, Backoff::Double);
        let cases = [
            (429, Some(130429), double(THROUGHPUT_BASE)),
            (400, Some(131056), retry(PAIR_RATE_BASE, Backoff::Quadruple)),
            (503, Some(131057), double(TEMPORARY_BASE)),
            (400, Some(4), double(TEMPORARY_BASE)),
            (400, Some(80007), double(TEMPORARY_BASE)),
            (500, Some(1), double(TEMPORARY_BASE)),
            (500, Some(2), double(TEMPORARY_BASE)),
            (500, Some(131000), double(TEMPORARY_BASE)),
            (400, Some(131047), UseTemplate),
            (400, Some(131026), Permanent),
            (400, Some(131048), PolicyBlocked),
            (400, Some(368), PolicyBlocked),
            (400, Some(100), Permanent),
            (400, Some(131051), Permanent),
            (400, Some(131062), Permanent),
            (401, Some(190), CredentialsBroken),
            // Codes the table does not name fall back to the status.
            (400, Some(999_999), Permanent),
            (503, Some(999_999), double(TEMPORARY_BASE)),
            (429, None, double(THROUGHPUT_BASE)),
            (500, None, double(TEMPORARY_BASE)),
            (502, None, double(TEMPORARY_BASE)),
            (404, None, Permanent),
            (401, None, CredentialsBroken),
        ];
        for (status, code, expected) in cases {
            assert_eq!(api(status, code).class(), expected, "{status} {code:?}");
        }
        assert_eq!(GraphError::Timeout.class(), double(NETWORK_BASE));
        assert_eq!(
            GraphError::Network("reset".into()).class(),
            double(NETWORK_BASE)
        );
        assert_eq!(GraphError::InvalidResponse("x".into()).class(), Permanent);
    }

    #[test]
    fn retry_after_header_is_honoured_only_for_retryable_errors() {
        let e = ApiError::from_response(429, b"{}", Some("30"));
        assert_eq!(e.class(), retry(Duration::from_secs(30), Backoff::Fixed));
        let e = ApiError::from_response(400, br#"{"error":{"code":131047}}"#, Some("30"));
        assert_eq!(e.class(), ErrorClass::UseTemplate);
        let e = ApiError::from_response(429, b"{}", Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(e.class(), retry(THROUGHPUT_BASE, Backoff::Double));
        let e = ApiError::from_response(429, b"{}", Some("99999999"));
        assert_eq!(e.retry_after, Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn error_body_is_parsed() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException",
            "code":131047,"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp",
            "details":"Message failed to send because more than 24 hours have passed"},"fbtrace_id":"Az8or"}}"#;
        let e = ApiError::from_response(400, body, None);
        assert_eq!(e.code, Some(131047));
        assert_eq!(e.subcode, Some(2494010));
        assert_eq!(e.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(e.fbtrace_id.as_deref(), Some("Az8or"));
        assert!(e.details.as_deref().unwrap_or("").contains("24 hours"));
        let shown = GraphError::from(e).to_string();
        assert!(shown.contains("code 131047/2494010"), "{shown}");
        // A string code still counts.
        let e = ApiError::from_response(400, br#"{"error":{"code":"131026"}}"#, None);
        assert_eq!(e.class(), ErrorClass::Permanent);
    }

    #[test]
    fn generic_error_has_its_own_attempt_cap() {
        assert_eq!(
            api(500, Some(131000)).max_attempts(),
            Some(GENERIC_MAX_ATTEMPTS)
        );
        assert_eq!(api(500, Some(131057)).max_attempts(), None);
    }

    #[test]
    fn retry_delay_grows_and_is_capped() {
        let pair = retry(PAIR_RATE_BASE, Backoff::Quadruple);
        let secs: Vec<u64> = (0..4)
            .map(|a| retry_delay(pair, a, 0.0).as_secs())
            .collect();
        assert_eq!(secs, [1, 4, 16, 64]);
        let temp = retry(Duration::from_secs(5), Backoff::Double);
        let secs: Vec<u64> = (0..4)
            .map(|a| retry_delay(temp, a, 0.0).as_secs())
            .collect();
        assert_eq!(secs, [5, 10, 20, 40]);
        // Capped, including for absurd attempt numbers (no overflow).
        assert_eq!(retry_delay(temp, 20, 0.0), MAX_BACKOFF);
        assert_eq!(retry_delay(pair, u32::MAX, 0.99), MAX_BACKOFF);
        // Jitter adds at most a quarter, and bad jitter values are tamed.
        assert_eq!(retry_delay(temp, 0, 1.0), Duration::from_secs_f64(6.25));
        assert_eq!(retry_delay(temp, 0, 7.0), Duration::from_secs_f64(6.25));
        assert_eq!(retry_delay(temp, 0, -1.0), Duration::from_secs(5));
        assert_eq!(retry_delay(temp, 0, f64::NAN), Duration::from_secs(5));
        let j = retry_delay(temp, 1, 0.5);
        assert!(
            j > Duration::from_secs(10) && j < Duration::from_secs(13),
            "{j:?}"
        );
        // A server-given delay is neither grown nor shortened.
        let fixed = retry(Duration::from_secs(30), Backoff::Fixed);
        assert_eq!(retry_delay(fixed, 5, 0.0), Duration::from_secs(30));
        let long = retry(MAX_RETRY_AFTER, Backoff::Fixed);
        assert_eq!(retry_delay(long, 0, 0.0), MAX_RETRY_AFTER);
        // Nothing to wait for when there is nothing to retry.
        assert_eq!(retry_delay(ErrorClass::Permanent, 3, 0.5), Duration::ZERO);
    }
}
