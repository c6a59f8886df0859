//! The C math functions this program calls (through `f64`/`f32` methods, tract and SQLite),
//! defined here from the `libm` crate, a Rust port of musl's library: with them in the
//! executable, the linker leaves out `libm.so.6`, one shared library fewer for the loader to
//! find, map and relocate at every start. Each answers within an ulp of glibc's, and `exp`,
//! `log` and `pow` use the same algorithms as glibc.
#![allow(unsafe_code)]

macro_rules! unary {
    ($($name:ident $namef:ident),* $(,)?) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(x: f64) -> f64 {
            libm::$name(x)
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $namef(x: f32) -> f32 {
            libm::$namef(x)
        }
    )*};
}

macro_rules! binary {
    ($($name:ident $namef:ident),* $(,)?) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(x: f64, y: f64) -> f64 {
            libm::$name(x, y)
        }
        #[unsafe(no_mangle)]
        pub extern "C" fn $namef(x: f32, y: f32) -> f32 {
            libm::$namef(x, y)
        }
    )*};
}

unary!(acos acosf, asin asinf, atan atanf, cos cosf, cosh coshf, exp expf, log logf, log10 log10f, log1p log1pf, log2 log2f, sin sinf, sinh sinhf, tan tanf, tanh tanhf);
binary!(hypot hypotf, pow powf);

/// `sincos(x, &sin, &cos)`, which compilers emit for a sine and cosine of the same value.
///
/// # Safety
/// Both pointers are valid for writing an `f64`, as C's declaration requires.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sincos(x: f64, sin: *mut f64, cos: *mut f64) {
    let (s, c) = libm::sincos(x);
    // SAFETY: the caller passes pointers to two writable doubles.
    unsafe {
        sin.write(s);
        cos.write(c);
    }
}

/// `sincosf`, the same for `f32`.
///
/// # Safety
/// Both pointers are valid for writing an `f32`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sincosf(x: f32, sin: *mut f32, cos: *mut f32) {
    let (s, c) = libm::sincosf(x);
    // SAFETY: as for `sincos`.
    unsafe {
        sin.write(s);
        cos.write(c);
    }
}
