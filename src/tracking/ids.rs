//! Run ids (32 lowercase hex characters, as MLflow), generated run names, and the clock.
//!
//! `MLF_TEST_NOW` pins the clock and `MLF_TEST_SEED` pins generation, so tests are repeatable.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::env;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Milliseconds since the Unix epoch (or `MLF_TEST_NOW`).
pub fn now_ms() -> i64 {
    if let Some(v) = env::var(env::MLF_TEST_NOW).and_then(|v| v.parse::<i64>().ok()) {
        return v;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// 128 random bits: from the OS, or from `MLF_TEST_SEED` and a counter.
fn random_u128() -> u128 {
    match env::var(env::MLF_TEST_SEED).and_then(|v| v.parse::<u64>().ok()) {
        Some(seed) => {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut state = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let hi = splitmix64(&mut state);
            let lo = splitmix64(&mut state);
            ((hi as u128) << 64) | lo as u128
        }
        None => uuid::Uuid::new_v4().as_u128(),
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A new run id: 32 lowercase hex characters.
pub fn new_run_id() -> String {
    format!("{:032x}", random_u128())
}

/// Is `s` a well-formed full run id?
pub fn is_run_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

const ADJECTIVES: &[&str] = &[
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "dapper", "eager", "fancy",
    "fleet", "gentle", "glad", "golden", "grand", "happy", "humble", "jolly", "keen", "kind",
    "lively", "lucky", "merry", "mighty", "nimble", "noble", "patient", "placid", "proud", "quick",
    "quiet", "rapid", "sharp", "shy", "silent", "smooth", "steady", "sunny", "swift", "tidy",
    "vivid", "warm", "wise", "witty", "zesty",
];

const NOUNS: &[&str] = &[
    "ant", "badger", "bat", "bear", "bee", "bison", "crab", "crane", "crow", "deer", "dove",
    "eagle", "eel", "elk", "finch", "fox", "frog", "gecko", "goat", "hare", "hawk", "heron",
    "ibis", "koala", "lark", "lemur", "lynx", "mole", "moth", "newt", "otter", "owl", "panda",
    "puffin", "quail", "raven", "seal", "shark", "sloth", "snail", "swan", "tapir", "toad",
    "trout", "wolf", "wren", "yak", "zebra",
];

/// A generated run name such as `swift-otter-417` (at most 20 characters).
pub fn new_run_name() -> String {
    let r = random_u128();
    let adj = ADJECTIVES[(r % ADJECTIVES.len() as u128) as usize];
    let noun = NOUNS[((r >> 16) % NOUNS.len() as u128) as usize];
    let n = (r >> 32) % 1000;
    format!("{adj}-{noun}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        let id = new_run_id();
        assert!(is_run_id(&id), "{id}");
        assert!(!is_run_id("ABC"));
        for _ in 0..200 {
            assert!(new_run_name().len() <= 20);
        }
    }
}
