//! MLproject parsing, templating and parameters, on hand-written and random files.

use super::*;

fn ep(command: &str, params: Vec<Param>) -> EntryPoint {
    EntryPoint {
        name: "main".into(),
        params,
        command: command.into(),
    }
}

#[test]
fn templates() {
    let e = ep(
        "python train.py --lr {lr} --name {name} {{literal}}",
        vec![
            Param {
                name: "lr".into(),
                kind: ParamType::Float,
                default: Some("0.1".into()),
            },
            Param {
                name: "name".into(),
                kind: ParamType::String,
                default: None,
            },
        ],
    );
    let r = resolve_params(
        &e,
        &[
            ("name".into(), "a b".into()),
            ("extra".into(), "x y".into()),
        ],
        Path::new("/"),
    )
    .unwrap();
    assert_eq!(
        render_command(&e, &r),
        "python train.py --lr 0.1 --name 'a b' {literal} --extra 'x y'"
    );
    assert!(
        resolve_params(&e, &[], Path::new("/"))
            .unwrap_err()
            .to_string()
            .contains("`name`")
    );
    assert!(
        resolve_params(
            &e,
            &[("name".into(), "n".into()), ("lr".into(), "fast".into())],
            Path::new("/")
        )
        .unwrap_err()
        .to_string()
        .contains("float")
    );
    assert!(check_template("echo {nope}", &[]).is_err());
    assert!(check_template("echo {{ok}}", &[]).is_ok());
}

/// Pseudo-random YAML-like text from pieces of MLproject and MLmodel files.
pub(crate) fn random_yaml(seed: &mut u64, pieces: &[&str]) -> String {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let n = 1 + next() % 24;
    (0..n)
        .map(|_| pieces[(next() % pieces.len() as u64) as usize])
        .collect()
}

#[test]
fn no_mlproject_makes_loading_or_running_panic() {
    const PIECES: [&str; 34] = [
        "name: p\n",
        "entry_points:\n",
        "  main:\n",
        "    parameters:\n",
        "      lr: {type: float, default: 0.1}\n",
        "      n: int\n",
        "      p: {type: path}\n",
        "      u: {type: uri, default: 'x'}\n",
        "      s: {type: string, default: ~}\n",
        "    command: \"python train.py --lr {lr}\"\n",
        "    command: '{missing} {n}'\n",
        "conda_env: conda.yaml\n",
        "python_env: ../x.yaml\n",
        "docker_env:\n",
        "  image: img\n",
        "  volumes: [a, b]\n",
        "  environment: [[K, V], K2]\n",
        "- ",
        "  ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        "'",
        "\"",
        "é",
        "\t",
        "\n",
        "&a ",
        "*a ",
        "!!binary ",
        "~",
        "<<: *a\n",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let text = random_yaml(&mut seed, &PIECES);
        std::fs::write(dir.path().join("MLproject"), &text).unwrap();
        if let Ok(project) = Project::load(dir.path()) {
            for name in ["main", "train.py", "x.sh"] {
                if let Ok(ep) = project.entry_point(name) {
                    let given = [("lr".to_string(), "0.5".to_string())];
                    if let Ok(values) = resolve_params(&ep, &given, dir.path()) {
                        let _ = render_command(&ep, &values);
                    }
                }
            }
        }
    }
}
