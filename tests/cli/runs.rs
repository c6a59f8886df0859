//! Tests of `mlf` (runs), through the binary.
