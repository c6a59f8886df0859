//! Tests of `mlf` (concurrency), through the binary.
