//! Integration tests: one binary, every test against a real server on a random port, run once
//! on SQLite and once on PostgreSQL.

mod helpers;

mod cli;
mod conversation;
mod graph;
mod graph_mock;
mod meta_schema;
mod ops;
mod outbox;
mod simulator;
mod webhook;
