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
/// The village office dashboard: login, queue, request pages, letters, reports.
pub mod dashboard;
/// Validated domain values (NIK, No. KK, dates, RT/RW, ticket codes, phone ids) and masking.
pub mod domain;
/// Letters: numbering and rendering of the village's letters.
pub mod letters;
/// Prometheus counters and histograms.
pub mod metrics;
/// Officers' WhatsApp commands, their handling, deadlines and escalation.
pub mod officers;
/// Health, readiness and metrics endpoints.
pub mod ops;
/// Outbound messages: delivery status machine (Graph API client and outbox to come).
pub mod outbound;
/// The request lifecycle: states, allowed moves and who may make them.
pub mod requests;
/// The sandbox chat simulator: a web page and `kentongan simulate` that play a resident.
pub mod simulator;
/// Storage interface with its PostgreSQL and SQLite backends; all SQL lives here.
pub mod store;
/// Tracing setup.
pub mod telemetry;
/// Webhook intake: handshake, signature, payload types, ingest.
pub mod webhook;
