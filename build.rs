//! Link settings for the `mlf` executable.

// A build script reads its configuration from the environment cargo gives it.
#[allow(clippy::disallowed_methods)]
fn main() {
    let cfg = |name: &str| std::env::var_os(name).unwrap_or_default();
    if cfg("CARGO_CFG_TARGET_OS") == "linux" && cfg("CARGO_CFG_TARGET_ENV") == "gnu" {
        // Relative relocations packed as a bitmap (DT_RELR): the loader reads a few kilobytes
        // at start instead of a megabyte of relocation entries.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // A fixed load address: the linker resolves the pointers in the executable's read-only
        // data itself, so the loader writes none of them at each start (a megabyte of pages
        // touched and copied, and most of the instructions `mlf --version` runs).
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
