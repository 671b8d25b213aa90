//! Tracing setup. `RUST_LOG` selects levels (default `info`); the format is text or JSON.
//!
//! Personal data stays out of info-level logs: code logs wamids, counts and masked ids
//! (see [`crate::domain::mask`]), never raw phone numbers, NIK, KK numbers or message bodies.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Install the global subscriber. Safe to call more than once (later calls do nothing), so tests
/// and commands can all call it.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = fmt().with_env_filter(filter).with_target(true);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
