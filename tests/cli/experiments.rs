//! Tests of `mlf` (experiments), through the binary.
