//! Integration tests: every test drives the real `mlf` binary.

// The tests read their own environment (PATH) to build the one they give the binary.
#![allow(clippy::disallowed_methods)]

mod support;

/// The throwaway PostgreSQL cluster of the store contract.
#[path = "../contract/pg.rs"]
mod pg;

/// The throwaway MariaDB server of the store contract.
#[path = "../contract/my.rs"]
mod my;

mod artifacts;
mod azure;
mod compare;
mod complete;
mod concurrency;
mod config;
mod experiments;
mod gc;
mod gcs;
mod generated;
mod help;
mod import;
mod layout;
mod log;
mod logs;
mod models;
mod models_mlflow;
mod output;
mod pager;
mod position;
mod project;
mod project_kube;
mod project_mlflow;
mod registry;
mod remote;
mod run;
mod runs;
mod s3;
mod search;
mod server;
mod status;
mod store;
mod store_copy;
mod sync;
mod system_metrics;
mod trees;
mod tty;
mod web;
