//! Kentongan: a WhatsApp service desk for Indonesian village offices.
#![forbid(unsafe_code)]

/// Application::build: configuration → store → router; serving and graceful shutdown.
pub mod app;
/// The service catalogue (services, fields, documents, SLAs) loaded from `config/services.toml`.
pub mod catalogue;
/// Settings from `config/kentongan.toml` and the environment; villages; secrets redacted.
pub mod config;
/// Resident conversation: free-text intent recogniser.
pub mod conversation;
/// Validated domain values (NIK, No. KK, dates, RT/RW, ticket codes, phone ids) and masking.
pub mod domain;
/// Prometheus counters and histograms.
pub mod metrics;
/// Health, readiness and metrics endpoints.
pub mod ops;
/// Outbound messages: delivery status machine (Graph API client and outbox to come).
pub mod outbound;
/// The sandbox chat simulator: a web page and `kentongan simulate` that play a resident.
pub mod simulator;
/// Storage interface with its PostgreSQL and SQLite backends; all SQL lives here.
pub mod store;
/// Tracing setup.
pub mod telemetry;
/// Webhook intake: handshake, signature, payload types, ingest.
pub mod webhook;
