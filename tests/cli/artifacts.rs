//! Tests of `mlf` (artifacts), through the binary.
