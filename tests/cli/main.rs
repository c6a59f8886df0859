//! Integration tests: every test drives the real `mlf` binary.

mod support;

mod artifacts;
mod compare;
mod complete;
mod concurrency;
mod experiments;
mod generated;
mod layout;
mod log;
mod models;
mod project;
mod registry;
mod remote;
mod run;
mod runs;
mod search;
mod server;
mod store;
mod trees;
