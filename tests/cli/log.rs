//! Tests of `mlf` (log), through the binary.
