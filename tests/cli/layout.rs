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
