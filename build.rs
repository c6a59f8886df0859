//! Link settings for the `mlf` executable.

// A build script reads its configuration from the environment cargo gives it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let cfg = |name: &str| std::env::var_os(name).unwrap_or_default();
    if cfg("CARGO_CFG_TARGET_OS") == "linux" && cfg("CARGO_CFG_TARGET_ENV") == "gnu" {
        // Relative relocations packed as a bitmap (DT_RELR): the loader reads a few kilobytes
        // at start instead of a megabyte of relocation entries.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
