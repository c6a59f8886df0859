//! Tests of `mlf` (run), through the binary.
