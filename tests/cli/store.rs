//! Tests of `mlf` (store), through the binary.
