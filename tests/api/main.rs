//! Integration tests: one binary, every test against a real server on a random port, run once
//! on SQLite and once on PostgreSQL.

mod helpers;
mod intake;

mod attachments;
mod cli;
mod conversation;
mod dashboard;
mod deadlines;
mod graph;
mod graph_mock;
mod letters;
mod meta_schema;
mod officers;
mod officers_cli;
mod ops;
mod outbox;
mod reports;
mod simulator;
mod webhook;
