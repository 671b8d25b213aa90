//! Integration tests: one binary, every test against a real server on a random port, run once
//! on SQLite and once on PostgreSQL.

mod helpers;

mod cli;
mod ops;
mod webhook;
