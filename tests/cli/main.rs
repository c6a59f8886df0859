//! Integration tests: every test drives the real `mlf` binary.

mod support;

mod generated;
mod layout;
