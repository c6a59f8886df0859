//! Every file in tests/cli is declared as a module (an undeclared one would silently not run).

#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "main" {
                assert!(
                    main.contains(&format!("mod {stem};")),
                    "tests/cli/{name} is not declared in main.rs"
                );
            }
        }
    }
}

/// The layers of ARCHITECTURE.md, top first: a module may use modules of its own layer and
/// of the layers below it, never one above. The first path segment under `src/` names the
/// module (`src/store/runs.rs` → `store`, `src/cli.rs` → `cli`).
const LAYERS: [(&str, &[&str]); 5] = [
    (
        "entry",
        &[
            "main", "math", "lib", "cli", "generate", "commands", "error",
        ],
    ),
    ("front ends", &["server", "web"]),
    (
        "operations and domain",
        &["ops", "models", "project", "serving", "ui"],
    ),
    ("storage", &["store", "artifacts", "remote"]),
    (
        "leaves",
        &[
            "tracking", "search", "registry", "source", "process", "env", "sys", "protocol",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// The crate modules a source file names: `crate::NAME` and the names inside `crate::{…}`.
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(inner) = rest.strip_prefix('{') {
            // Top-level names of the group: split on commas outside nested braces.
            let (mut depth, mut start) = (0usize, 0usize);
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(inner[start..j].trim().to_string());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(inner[start..j].trim().to_string());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(rest.to_string());
        }
    }
    out.into_iter()
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_module_of_a_higher_layer() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let Some(mine) = layer_of(&module) else {
            bad.push(format!(
                "src/{} belongs to no layer of ARCHITECTURE.md",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in crate_modules(&text) {
            match layer_of(&used) {
                Some(theirs) if theirs < mine => bad.push(format!(
                    "src/{} ({}) uses crate::{used} ({})",
                    rel.display(),
                    LAYERS[mine].0,
                    LAYERS[theirs].0
                )),
                Some(_) => {}
                None => bad.push(format!(
                    "src/{} uses crate::{used}, which belongs to no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn the_layer_check_sees_every_form_of_import() {
    let text = "use crate::store::Store;\nuse crate::{ops::registry, ui::{Ui, table}};\nlet x = crate::commands::run();";
    assert_eq!(
        crate_modules(text),
        ["store", "ops", "ui", "commands"].map(String::from)
    );
}

#[test]
fn rusqlite_lives_in_the_sqlite_store_only() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let sqlite = src.join("store/sqlite");
    let bad: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&sqlite))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("rusqlite"))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert!(
        bad.is_empty(),
        "rusqlite used outside src/store/sqlite/: {bad:?}"
    );
}

/// Whether `text` names the client crate `name` (`postgres::…` as a path of its own, not
/// `store::postgres::…`).
fn uses_crate(text: &str, name: &str) -> bool {
    text.match_indices(&format!("{name}::")).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|c| c == ':' || c == '_' || c.is_alphanumeric())
    })
}

/// The files below `src/` outside `src/store/DIR/` that name the crate `name`.
fn crate_users_outside(name: &str, dir: &str) -> Vec<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let home = src.join("store").join(dir);
    files
        .iter()
        .filter(|f| !f.starts_with(&home))
        .filter(|f| uses_crate(&std::fs::read_to_string(f).unwrap(), name))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect()
}

#[test]
fn the_postgres_client_lives_in_the_postgres_store_only() {
    assert!(uses_crate("use postgres::Client;", "postgres"));
    assert!(uses_crate("let e: &postgres::Error = x;", "postgres"));
    assert!(!uses_crate(
        "crate::store::postgres::PgStore::open(uri)",
        "postgres"
    ));
    assert!(!uses_crate(
        "use crate::store::postgres::is_postgres_uri;",
        "postgres"
    ));
    let bad = crate_users_outside("postgres", "postgres");
    assert!(
        bad.is_empty(),
        "the postgres crate used outside src/store/postgres/: {bad:?}"
    );
}

#[test]
fn the_mysql_client_lives_in_the_mysql_store_only() {
    assert!(uses_crate("let c = mysql::Conn::new(o);", "mysql"));
    assert!(!uses_crate("super::mysql::is_mysql_uri(u)", "mysql"));
    let bad = crate_users_outside("mysql", "mysql");
    assert!(
        bad.is_empty(),
        "the mysql crate used outside src/store/mysql/: {bad:?}"
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 600).then(|| format!("{} ({n} lines)", f.strip_prefix(&src).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files: {long:?}");
}

/// The source files under `src/`, with their paths relative to it and their text.
fn sources() -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().display().to_string();
            (rel, std::fs::read_to_string(f).unwrap())
        })
        .collect()
}

/// Where `text` spells a `Result` whose error type is `String`: the line numbers.
fn string_results(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("Result<") {
        // The generic arguments, split on top-level commas (`->` closes nothing).
        let inner = &text[at + "Result<".len()..];
        let (mut depth, mut start, mut args) = (1usize, 0usize, Vec::new());
        let mut prev = ' ';
        for (j, c) in inner.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if prev != '-' => {
                    depth -= 1;
                    if depth == 0 {
                        args.push(&inner[start..j]);
                        break;
                    }
                }
                ',' if depth == 1 => {
                    args.push(&inner[start..j]);
                    start = j + 1;
                }
                _ => {}
            }
            prev = c;
        }
        if args.len() == 2 && args[1].trim() == "String" {
            out.push(text[..at].matches('\n').count() + 1);
        }
    }
    out
}

#[test]
fn the_string_result_check_sees_nested_types() {
    let text = "fn a() -> Result<Box<dyn Fn(i64) -> u8>, String> {}\nfn b() -> Result<Vec<u8>, Error> {}\nfn c() -> std::result::Result<(String, Option<String>), String> {}";
    assert_eq!(string_results(text), [1, 3]);
}

/// Library code (everything outside `src/commands/`) answers typed errors, never `String`s.
#[test]
fn library_errors_are_typed_not_strings() {
    const ALLOWED: &[(&str, &str)] = &[];
    let mut bad = Vec::new();
    for (rel, text) in sources() {
        if rel.starts_with("commands/") {
            continue;
        }
        for line in string_results(&text) {
            let spelled = text.lines().nth(line - 1).unwrap_or("").trim();
            if !ALLOWED
                .iter()
                .any(|(f, s)| *f == rel && spelled.starts_with(s))
            {
                bad.push(format!("src/{rel}:{line}: {spelled}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "`Result<_, String>` outside src/commands/ (give the subsystem an error enum):\n{}",
        bad.join("\n")
    );
}

/// `CliError` (`error.rs`) is the command line's: only the commands, their context and the
/// entry point use it; the layers below answer their own error types.
#[test]
fn cli_errors_stay_in_the_command_line() {
    let allowed = |rel: &str| {
        rel.starts_with("commands/") || ["lib.rs", "main.rs", "error.rs"].contains(&rel)
    };
    let bad: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| !allowed(rel))
        .filter(|(_, text)| {
            text.contains("CliError")
                || text.contains("CliResult")
                || crate_modules(text).iter().any(|m| m == "error")
        })
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(
        bad.is_empty(),
        "CliError used outside src/commands/ and lib.rs: {bad:?}"
    );
}

/// The store knows no command: its messages name none (the command line adds the command to
/// run from the error's `Fix`).
#[test]
fn store_messages_name_no_command() {
    let bad: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("store/"))
        .flat_map(|(rel, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim_start().starts_with("//") && l.contains("`mlf "))
                .map(|(i, l)| format!("src/{rel}:{}: {}", i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        bad.is_empty(),
        "store messages naming a command:\n{}",
        bad.join("\n")
    );
}
