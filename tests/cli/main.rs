//! Integration tests: every test drives the real `mlf` binary.

// The tests read their own environment (PATH) to build the one they give the binary.
#![allow(clippy::disallowed_methods)]

mod support;

mod artifacts;
mod compare;
mod complete;
mod concurrency;
mod experiments;
mod gc;
mod generated;
mod import;
mod layout;
mod log;
mod logs;
mod models;
mod output;
mod position;
mod project;
mod registry;
mod remote;
mod run;
mod runs;
mod search;
mod server;
mod store;
mod system_metrics;
mod trees;
mod web;
