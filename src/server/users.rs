//! The users file of `mlf server --users FILE`: one `name:hash` per line, in werkzeug's hash
//! format (what MLflow's basic-auth app stores), `#` comments and blank lines allowed.
//!
//! Only `pbkdf2:sha256:ITERATIONS$SALT$HEXDIGEST` is understood (PBKDF2-HMAC-SHA256 from
//! RustCrypto's `pbkdf2`, `hmac` and `sha2`). A credential that verified once is remembered for the life
//! of the process, so each distinct user and password pays the key derivation once; failures
//! are never remembered.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// Iterations of the hashes `mlf server passwd` writes (OWASP's figure for PBKDF2-HMAC-SHA256).
pub const ITERATIONS: u32 = 600_000;
/// Characters of the salt `mlf server passwd` writes.
const SALT_LEN: usize = 16;
/// The one hash method understood, as werkzeug spells it.
const METHOD: &str = "pbkdf2:sha256";

/// HMAC-SHA256, keyed once.
#[derive(Clone)]
struct Hmac(hmac::Hmac<Sha256>);

impl Hmac {
    fn new(key: &[u8]) -> Hmac {
        Hmac(
            <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
                .expect("HMAC takes any key length"),
        )
    }

    /// The MAC of the concatenation of `parts`.
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.0.clone();
        for p in parts {
            m.update(p);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&m.finalize().into_bytes());
        out
    }
}

/// PBKDF2 (RFC 8018) with HMAC-SHA256, filling `out`.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out);
}

/// Equality of two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` bytes from the kernel's random source.
pub fn random_bytes(n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// A salt of `SALT_LEN` random letters and digits (no modulo bias).
fn random_salt() -> std::io::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut salt = String::with_capacity(SALT_LEN);
    while salt.len() < SALT_LEN {
        for b in random_bytes(64)? {
            if b < limit && salt.len() < SALT_LEN {
                salt.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(salt)
}

/// werkzeug's `pbkdf2:sha256:ITERATIONS$SALT$HEX` of `password`.
pub fn hash_password(password: &str, salt: &str, iterations: u32) -> String {
    let mut digest = [0u8; 32];
    pbkdf2_sha256(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut digest,
    );
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{METHOD}:{iterations}${salt}${hex}")
}

// ---------------------------------------------------------------------------------------------
// The file

/// One user's stored hash.
#[derive(Clone)]
struct Entry {
    iterations: u32,
    salt: String,
    digest: [u8; 32],
}

impl Entry {
    fn matches(&self, password: &[u8]) -> bool {
        let mut got = [0u8; 32];
        pbkdf2_sha256(password, self.salt.as_bytes(), self.iterations, &mut got);
        constant_time_eq(&got, &self.digest)
    }
}

/// Why a user name cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NameError {
    #[error("the user name is empty")]
    Empty,
    #[error("the user name `{0}` starts with `#`")]
    Comment(String),
    #[error("the user name `{name}` holds {bad:?}")]
    Char { name: String, bad: char },
}

/// Why a users file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the users file `{f}`: {source}; create it with `mlf server passwd NAME --users {f}`", f = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line of the file is wrong: the message names the file, the line and the fix.
    #[error("{0}")]
    Invalid(String),
    #[error("`{f}` has no users; add one with `mlf server passwd NAME --users {f}`", f = .0.display())]
    Empty(PathBuf),
    #[error("cannot read /dev/urandom: {0}")]
    Random(std::io::Error),
}

/// Why a user name cannot be used, if it cannot.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.starts_with('#') {
        return Err(NameError::Comment(name.to_string()));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(NameError::Char {
            name: name.to_string(),
            bad,
        });
    }
    Ok(())
}

/// Parses a `pbkdf2:sha256:ITERATIONS$SALT$HEX` hash.
fn parse_hash(hash: &str) -> Result<Entry, &'static str> {
    const SHAPE: &str = "is not `pbkdf2:sha256:ITERATIONS$SALT$HEX` (64 hex digits)";
    let mut parts = hash.split('$');
    let (Some(method), Some(salt), Some(hex), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SHAPE);
    };
    let Some(iterations) = method.strip_prefix("pbkdf2:sha256:") else {
        return Err(SHAPE);
    };
    let iterations: u32 = iterations.parse().map_err(|_| SHAPE)?;
    if iterations == 0 || salt.is_empty() || hex.len() != 64 {
        return Err(SHAPE);
    }
    let mut digest = [0u8; 32];
    for (i, d) in digest.iter_mut().enumerate() {
        *d = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or(SHAPE)?, 16).map_err(|_| SHAPE)?;
    }
    Ok(Entry {
        iterations,
        salt: salt.to_string(),
        digest,
    })
}

/// The user named on a line, when the line is an entry (not blank, not a comment).
fn line_user(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    Some(line.split_once(':').map_or(line, |(name, _)| name))
}

/// Parses the text of a users file; errors name the file, the line and the fix.
fn parse(path: &Path, text: &str) -> Result<HashMap<String, (usize, Entry)>, LoadError> {
    let file = path.display();
    let mut users: HashMap<String, (usize, Entry)> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, hash)) = line.split_once(':') else {
            return Err(LoadError::Invalid(format!(
                "`{file}` line {n}: expected `NAME:HASH`; add users with `mlf server passwd NAME --users {file}`"
            )));
        };
        if let Err(why) = check_name(name) {
            return Err(LoadError::Invalid(format!(
                "`{file}` line {n}: {why}; pick a name without spaces, `:` or a leading `#` and set its password with `mlf server passwd NAME --users {file}`"
            )));
        }
        let fix = format!("set a new password with `mlf server passwd {name} --users {file}`");
        let method = hash.split('$').next().unwrap_or_default();
        if hash.contains('$') && !(method == METHOD || method.starts_with("pbkdf2:sha256:")) {
            let parts = if method.starts_with("pbkdf2:") { 2 } else { 1 };
            let method = method
                .splitn(parts + 1, ':')
                .take(parts)
                .collect::<Vec<_>>()
                .join(":");
            return Err(LoadError::Invalid(format!(
                "`{file}` line {n}: the hash method `{method}` of `{name}` is not supported (only werkzeug's `pbkdf2:sha256:ITERATIONS$SALT$HEX`); {fix}"
            )));
        }
        let entry = parse_hash(hash).map_err(|why| {
            LoadError::Invalid(format!(
                "`{file}` line {n}: the hash of `{name}` {why}; {fix}"
            ))
        })?;
        if let Some((first, _)) = users.get(name) {
            return Err(LoadError::Invalid(format!(
                "`{file}` line {n}: `{name}` is already on line {first}; remove one of the lines"
            )));
        }
        users.insert(name.to_string(), (n, entry));
    }
    Ok(users)
}

/// The users a server accepts, and the credentials it has verified so far.
pub struct Users {
    path: PathBuf,
    entries: HashMap<String, Entry>,
    /// What an unknown user's password is checked against, so that unknown names take as
    /// long to refuse as wrong passwords.
    decoy: Entry,
    /// Keys the remembered credentials: a keyed hash of the password, never the password.
    cache_key: Hmac,
    verified: Mutex<HashSet<(String, [u8; 32])>>,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("path", &self.path)
            .field("users", &self.entries.len())
            .finish()
    }
}

impl Users {
    /// Reads and checks a users file; the error is one line naming the file, line and fix.
    pub fn load(path: &Path) -> Result<Users, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let entries: HashMap<String, Entry> = parse(path, &text)?
            .into_iter()
            .map(|(name, (_, entry))| (name, entry))
            .collect();
        if entries.is_empty() {
            return Err(LoadError::Empty(path.to_path_buf()));
        }
        let key = random_bytes(32).map_err(LoadError::Random)?;
        let decoy = Entry {
            iterations: entries.values().map(|e| e.iterations).max().unwrap_or(1),
            salt: "decoy".into(),
            digest: [0; 32],
        };
        Ok(Users {
            path: path.to_path_buf(),
            entries,
            decoy,
            cache_key: Hmac::new(&key),
            verified: Mutex::new(HashSet::new()),
        })
    }

    fn cache_entry(&self, user: &str, password: &[u8]) -> (String, [u8; 32]) {
        (user.to_string(), self.cache_key.mac(&[password]))
    }

    /// Whether this user and password verified before (cheap).
    pub fn remembered(&self, user: &str, password: &[u8]) -> bool {
        let key = self.cache_entry(user, password);
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }

    /// Whether the password is the user's, running the key derivation (slow: call it off the
    /// async threads). A success is remembered.
    pub fn verify(&self, user: &str, password: &[u8]) -> bool {
        if self.remembered(user, password) {
            return true;
        }
        let ok = match self.entries.get(user) {
            Some(entry) => entry.matches(password),
            None => {
                std::hint::black_box(self.decoy.matches(password));
                false
            }
        };
        if ok {
            let key = self.cache_entry(user, password);
            self.verified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
        }
        ok
    }
}

// ---------------------------------------------------------------------------------------------
// Changing the file

/// Why a users file could not be changed.
#[derive(Debug)]
pub enum ChangeError {
    /// The file or the request is bad (exit 2).
    Invalid(String),
    /// Reading or writing failed (exit 1).
    Io(String),
}

/// Whether `set_password` added the user or replaced their hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Replaced,
}

/// `text` with `user`'s line set to `user:hash`: the first line of the user is replaced in
/// place (later duplicates dropped), or the line is appended; every other line is kept.
fn with_user(text: &str, user: &str, hash: &str) -> (String, Change) {
    let mut out = String::with_capacity(text.len() + user.len() + hash.len() + 2);
    let mut change = Change::Added;
    for line in text.lines() {
        if line_user(line) == Some(user) {
            if change == Change::Added {
                out.push_str(&format!("{user}:{hash}\n"));
                change = Change::Replaced;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if change == Change::Added {
        out.push_str(&format!("{user}:{hash}\n"));
    }
    (out, change)
}

/// Adds `user` with `password` to the users file at `path`, or replaces their hash, writing
/// the whole file anew and renaming it into place. A new file gets mode 0600; an existing one
/// keeps its mode. The file is refused, unchanged, when the result would not load.
pub fn set_password(path: &Path, user: &str, password: &str) -> Result<Change, ChangeError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = path.display();
    check_name(user).map_err(|e| ChangeError::Invalid(e.to_string()))?;
    if password.is_empty() {
        return Err(ChangeError::Invalid("an empty password is refused".into()));
    }
    // Write through a symlink to its target, rather than replacing the link.
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(ChangeError::Io(format!("cannot read `{file}`: {e}"))),
    };
    let (text, mode) = match std::fs::read(&target) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| ChangeError::Invalid(format!("`{file}` is not UTF-8 text")))?;
            let mode = std::fs::metadata(&target)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o600);
            (text, mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(ChangeError::Io(format!("cannot read `{file}`: {e}"))),
    };
    let salt =
        random_salt().map_err(|e| ChangeError::Io(format!("cannot read /dev/urandom: {e}")))?;
    let hash = hash_password(password, &salt, ITERATIONS);
    let (new_text, change) = with_user(&text, user, &hash);
    parse(path, &new_text).map_err(|e| ChangeError::Invalid(e.to_string()))?;

    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "users".into());
    let nonce: String = random_bytes(6)
        .map_err(|e| ChangeError::Io(format!("cannot read /dev/urandom: {e}")))?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let tmp = dir.join(format!(".{name}.{nonce}.tmp"));
    let io =
        |what: &str, e: std::io::Error| ChangeError::Io(format!("cannot {what} `{file}`: {e}"));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(new_text.as_bytes())?;
        if mode != 0o600 {
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("write", e));
    }
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pbkdf2_matches_known_vectors() {
        // RFC 7914 §11.
        let mut out = [0u8; 64];
        pbkdf2_sha256(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        pbkdf2_sha256(b"Password", b"NaCl", 80000, &mut out);
        assert_eq!(
            hex(&out),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
        // python3 -c "import hashlib;print(hashlib.pbkdf2_hmac('sha256',b'pw',b'salt',1000).hex())"
        let mut out = [0u8; 32];
        pbkdf2_sha256(b"pw", b"salt", 1000, &mut out);
        assert_eq!(
            hex(&out),
            "0a38253555ce37f5c72a6b703f996814ebf241f203af146e93dcdeb031c5567e"
        );
        // A key longer than SHA-256's block is hashed first (RFC 2104).
        let long = [b'k'; 100];
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        pbkdf2_sha256(&long, b"s", 2, &mut a);
        pbkdf2_sha256(&<Sha256 as sha2::Digest>::digest(long), b"s", 2, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn werkzeug_hashes_verify() {
        // werkzeug 3.1.9: generate_password_hash("s3cret pw", method="pbkdf2:sha256:1000")
        let hash = "pbkdf2:sha256:1000$IdhiQVuxUweT2Smv$365dae2c4f82213361acb00039043358f5cc5dfb55f90b271e56c21eb373d808";
        let entry = parse_hash(hash).unwrap();
        assert!(entry.matches(b"s3cret pw"));
        assert!(!entry.matches(b"s3cret pW"));
        assert!(!entry.matches(b""));
        assert_eq!(hash_password("s3cret pw", "IdhiQVuxUweT2Smv", 1000), hash);
    }

    #[test]
    fn files_parse_or_name_the_line_and_the_fix() {
        let p = Path::new("users.txt");
        let good = "pbkdf2:sha256:1000$IdhiQVuxUweT2Smv$365dae2c4f82213361acb00039043358f5cc5dfb55f90b271e56c21eb373d808";
        let text = format!("# team\n\nalice:{good}\n  bob:{good}  \r\n");
        let users = parse(p, &text).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users["alice"].0, 3);
        for (text, line, needle) in [
            ("# c\nalice\n".to_string(), 2, "expected `NAME:HASH`"),
            ("alice:secret\n".to_string(), 1, "is not `pbkdf2:sha256"),
            (
                "alice:pbkdf2:sha256:1000\n".to_string(),
                1,
                "is not `pbkdf2:sha256",
            ),
            (
                "alice:scrypt:32768:8:1$abc$def\n".to_string(),
                1,
                "hash method `scrypt`",
            ),
            (
                "alice:pbkdf2:sha512:1000$a$b\n".to_string(),
                1,
                "hash method `pbkdf2:sha512`",
            ),
            (
                "alice:pbkdf2:sha256$a$b\n".to_string(),
                1,
                "is not `pbkdf2:sha256:ITERATIONS",
            ),
            (format!("alice:{}\n", &good[..good.len() - 2]), 1, "64 hex"),
            (
                format!("alice:{}zz\n", &good[..good.len() - 2]),
                1,
                "64 hex",
            ),
            (format!("a b:{good}\n"), 1, "user name"),
            (format!(":{good}\n"), 1, "user name is empty"),
            (
                format!("alice:{good}\nalice:{good}\n"),
                2,
                "already on line 1",
            ),
        ] {
            let err = parse(p, &text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} parsed"))
                .to_string();
            assert!(
                err.starts_with(&format!("`users.txt` line {line}: ")),
                "{text:?}: {err}"
            );
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.contains("; "), "{text:?} gives no fix: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn replacing_a_user_keeps_every_other_line() {
        let text = "# team\nalice:old\n\nbob:x # keep\nalice:dup\n";
        let (out, change) = with_user(text, "alice", "new");
        assert_eq!(change, Change::Replaced);
        assert_eq!(out, "# team\nalice:new\n\nbob:x # keep\n");
        let (out, change) = with_user("# only a comment", "carol", "h");
        assert_eq!(change, Change::Added);
        assert_eq!(out, "# only a comment\ncarol:h\n");
        let (out, _) = with_user("", "carol", "h");
        assert_eq!(out, "carol:h\n");
    }

    #[test]
    fn salts_are_alphanumeric_and_differ() {
        let a = random_salt().unwrap();
        let b = random_salt().unwrap();
        assert_eq!(a.len(), SALT_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn verification_remembers_successes_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        std::fs::write(
            &path,
            format!("alice:{}\n", hash_password("right", "saltsalt", 1000)),
        )
        .unwrap();
        let users = Users::load(&path).unwrap();
        assert!(!users.remembered("alice", b"right"));
        assert!(!users.verify("alice", b"wrong"));
        assert!(!users.remembered("alice", b"wrong"));
        assert!(!users.verify("bob", b"right"));
        assert!(users.verify("alice", b"right"));
        assert!(users.remembered("alice", b"right"));
        assert!(!users.remembered("alice", b"wrong"));
        assert!(!users.remembered("bob", b"right"));
        assert!(!users.verify("alice", b"wrong"));
    }
}
