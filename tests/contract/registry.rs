//! The model registry: models, versions, stages, aliases, tags, descriptions and deletes.

use mlf::registry::{ModelVersion, RegisteredModel, Stage};
use mlf::search::parse_model_filter;
use mlf::store::{Backend, NewVersion};
use mlf::tracking::ids::now_ms;

use crate::common::{
    ACTOR, act, assert_err, experiment, kv, number, register, run_with_model, sorted,
};

fn model_names(list: &[RegisteredModel]) -> Vec<&str> {
    list.iter().map(|m| m.name.as_str()).collect()
}

fn version_numbers(list: &[ModelVersion]) -> Vec<&str> {
    list.iter().map(|v| v.version.as_str()).collect()
}

fn listed(s: &dyn Backend, filter: &str) -> Vec<String> {
    let expr = parse_model_filter(filter).expect("a valid model filter");
    s.list_models(expr.as_ref())
        .unwrap_or_else(|e| panic!("list models `{filter}`: {e}"))
        .into_iter()
        .map(|m| m.name)
        .collect()
}

/// (stage, version) of a model's latest version per stage, sorted.
fn latest(s: &dyn Backend, name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = s
        .model(name)
        .unwrap()
        .latest_versions
        .into_iter()
        .map(|v| (v.current_stage, v.version))
        .collect();
    out.sort();
    out
}

fn stage_of(s: &dyn Backend, name: &str, version: i64) -> String {
    s.version(name, version).unwrap().current_stage
}

/// A model with `n` versions registered from one run.
fn model_with_versions(s: &mut dyn Backend, name: &str, n: usize) {
    let exp = experiment(s, &format!("{name}-training"));
    let run = run_with_model(s, &exp, "train");
    for _ in 0..n {
        register(s, name, &run);
    }
}

pub fn create_and_get_model(s: &mut dyn Backend) {
    let before = now_ms();
    let m = s
        .create_model("m1", "the first model", &[kv("team", "ml")], &act())
        .unwrap();
    assert_eq!(m.name, "m1");
    assert_eq!(m.description, "the first model");
    assert_eq!(sorted(&m.tags), [("team".into(), "ml".into())]);
    assert_eq!(m.user_id, ACTOR);
    assert!(m.creation_timestamp >= before - 1000, "{m:?}");
    assert!(m.latest_versions.is_empty());
    assert!(m.aliases.is_empty());

    let got = s.model("m1").unwrap();
    assert_eq!(got.name, "m1");
    assert_eq!(got.description, "the first model");
    assert_eq!(sorted(&got.tags), [("team".into(), "ml".into())]);
    assert_eq!(got.creation_timestamp, m.creation_timestamp);

    assert_err!(s.create_model("m1", "", &[], &act()), AlreadyExists);
    assert_err!(s.create_model("a/b", "", &[], &act()), Invalid);
    assert_err!(s.model("no-such-model"), NotFound);
}

pub fn list_models(s: &mut dyn Backend) {
    assert!(s.list_models(None).unwrap().is_empty());
    s.create_model("beta", "", &[kv("team", "y")], &act())
        .unwrap();
    s.create_model("alpha", "", &[kv("team", "x")], &act())
        .unwrap();
    s.create_model("alpine", "", &[], &act()).unwrap();

    let all = s.list_models(None).unwrap();
    assert_eq!(model_names(&all), ["alpha", "alpine", "beta"]);
    assert_eq!(sorted(&all[0].tags), [("team".into(), "x".into())]);
    assert_eq!(listed(s, "name LIKE 'al%'"), ["alpha", "alpine"]);
    assert_eq!(listed(s, "name ILIKE 'AL%'"), ["alpha", "alpine"]);
    assert!(listed(s, "name LIKE 'AL%'").is_empty());
    assert_eq!(listed(s, "name = 'beta'"), ["beta"]);
    assert_eq!(listed(s, "tags.team = 'x'"), ["alpha"]);
    assert_eq!(listed(s, "name != 'beta'"), ["alpha", "alpine"]);
    assert!(listed(s, "name = 'gamma'").is_empty());
}

pub fn create_versions(s: &mut dyn Backend) {
    let exp = experiment(s, "training");
    let run = run_with_model(s, &exp, "train");
    let run_id = run.info.run_id.clone();
    let source = format!("runs:/{run_id}/model");

    // Registering into a model that does not exist yet makes it.
    let v1 = register(s, "clf", &run);
    assert_eq!(v1.name, "clf");
    assert_eq!(v1.version, "1");
    assert_eq!(v1.source, source);
    assert_eq!(v1.run_id, run_id);
    assert_eq!(v1.current_stage, "None");
    assert_eq!(v1.status, "READY");
    assert_eq!(v1.user_id, ACTOR);
    assert!(v1.aliases.is_empty() && v1.tags.is_empty());
    assert_eq!(s.model("clf").unwrap().name, "clf");

    let new = NewVersion {
        name: "clf".into(),
        source: source.clone(),
        run_id: run_id.clone(),
        storage_location: String::new(),
        description: "second try".into(),
        tags: vec![kv("data", "v2")],
    };
    let v2 = s
        .create_version(&new, &act(), &mut |_| Ok(source.clone()))
        .unwrap();
    assert_eq!(v2.version, "2");
    assert_eq!(v2.description, "second try");
    assert_eq!(sorted(&v2.tags), [("data".into(), "v2".into())]);

    let got = s.version("clf", 1).unwrap();
    assert_eq!(
        (
            got.version.as_str(),
            got.source.as_str(),
            got.run_id.as_str()
        ),
        ("1", source.as_str(), run_id.as_str())
    );
    let got = s.version("clf", 2).unwrap();
    assert_eq!(got.description, "second try");
    assert_eq!(sorted(&got.tags), [("data".into(), "v2".into())]);

    let v3 = register(s, "clf", &run);
    assert_eq!(number(&v3), 3);
    // Newest first.
    assert_eq!(
        version_numbers(&s.versions("clf").unwrap()),
        ["3", "2", "1"]
    );
    // The latest version per stage: all are in None.
    assert_eq!(latest(s, "clf"), [("None".into(), "3".into())]);

    assert_err!(s.version("clf", 9), NotFound);
}

pub fn transition_stages(s: &mut dyn Backend) {
    model_with_versions(s, "m", 3);

    let v = s
        .transition("m", 1, Stage::Staging, false, false, &act())
        .unwrap();
    assert_eq!(
        (v.version.as_str(), v.current_stage.as_str()),
        ("1", "Staging")
    );
    s.transition("m", 2, Stage::Staging, false, false, &act())
        .unwrap();
    // Without archive_existing, the other version stays where it was.
    assert_eq!(stage_of(s, "m", 1), "Staging");
    assert_eq!(stage_of(s, "m", 2), "Staging");

    s.transition("m", 1, Stage::Production, false, false, &act())
        .unwrap();
    let v = s
        .transition("m", 2, Stage::Production, true, false, &act())
        .unwrap();
    assert_eq!(v.current_stage, "Production");
    // With archive_existing, the version that held Production is archived.
    assert_eq!(stage_of(s, "m", 1), "Archived");
    assert_eq!(stage_of(s, "m", 2), "Production");
    assert_eq!(stage_of(s, "m", 3), "None");
    assert_eq!(
        latest(s, "m"),
        [
            ("Archived".into(), "1".into()),
            ("None".into(), "3".into()),
            ("Production".into(), "2".into()),
        ]
    );
    let stages: Vec<(String, String)> = s
        .versions("m")
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.current_stage))
        .collect();
    assert_eq!(
        stages,
        [
            ("3".into(), "None".into()),
            ("2".into(), "Production".into()),
            ("1".into(), "Archived".into()),
        ]
    );

    // archive_existing applies to Staging and Production only.
    assert_err!(
        s.transition("m", 3, Stage::Archived, true, false, &act()),
        Invalid
    );
    assert_eq!(stage_of(s, "m", 3), "None");
    assert_err!(
        s.transition("m", 9, Stage::Staging, false, false, &act()),
        NotFound
    );
    assert_err!(
        s.transition("nope", 1, Stage::Staging, false, false, &act()),
        NotFound
    );
    // Back to None.
    s.transition("m", 2, Stage::None, false, false, &act())
        .unwrap();
    assert_eq!(stage_of(s, "m", 2), "None");
}

pub fn aliases(s: &mut dyn Backend) {
    model_with_versions(s, "m", 2);

    assert_eq!(s.set_alias("m", "champion", 1, &act()).unwrap(), None);
    assert_eq!(s.alias_version("m", "champion").unwrap(), 1);
    // Moving an alias answers where it pointed before.
    assert_eq!(s.set_alias("m", "champion", 2, &act()).unwrap(), Some(1));
    assert_eq!(s.alias_version("m", "champion").unwrap(), 2);
    // Pointing it where it already points answers that version.
    assert_eq!(s.set_alias("m", "champion", 2, &act()).unwrap(), Some(2));

    assert_eq!(s.version("m", 2).unwrap().aliases, ["champion"]);
    assert!(s.version("m", 1).unwrap().aliases.is_empty());
    let versions = s.versions("m").unwrap();
    assert_eq!(versions[0].aliases, ["champion"]);
    assert!(versions[1].aliases.is_empty());

    s.set_alias("m", "challenger", 1, &act()).unwrap();
    let aliases: Vec<(String, String)> = s
        .model("m")
        .unwrap()
        .aliases
        .into_iter()
        .map(|a| (a.alias, a.version))
        .collect();
    assert_eq!(
        aliases,
        [
            ("challenger".into(), "1".into()),
            ("champion".into(), "2".into())
        ]
    );

    assert_err!(s.set_alias("m", "ghost", 9, &act()), NotFound);
    assert_err!(s.set_alias("m", "v2", 1, &act()), Invalid);
    assert_err!(s.set_alias("nope", "x", 1, &act()), NotFound);

    assert_eq!(s.delete_alias("m", "challenger", &act()).unwrap(), 1);
    assert_err!(s.alias_version("m", "challenger"), NotFound);
    assert_err!(s.delete_alias("m", "challenger", &act()), NotFound);
    assert!(s.version("m", 1).unwrap().aliases.is_empty());
    assert_err!(s.alias_version("m", "never-set"), NotFound);
    assert_err!(s.alias_version("nope", "champion"), NotFound);
}

pub fn tags_and_descriptions(s: &mut dyn Backend) {
    model_with_versions(s, "m", 1);
    let set = |k: &str, v: &str| (k.to_string(), Some(v.to_string()));
    let unset = |k: &str| (k.to_string(), None);

    s.set_registry_tags("m", None, &[set("a", "1"), set("b", "2")], &act())
        .unwrap();
    assert_eq!(
        sorted(&s.model("m").unwrap().tags),
        [("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    s.set_registry_tags("m", None, &[unset("a"), set("b", "3")], &act())
        .unwrap();
    assert_eq!(
        sorted(&s.model("m").unwrap().tags),
        [("b".into(), "3".into())]
    );

    s.set_registry_tags("m", Some(1), &[set("k", "v"), set("j", "w")], &act())
        .unwrap();
    s.set_registry_tags("m", Some(1), &[set("k", "v2"), unset("j")], &act())
        .unwrap();
    assert_eq!(
        sorted(&s.version("m", 1).unwrap().tags),
        [("k".into(), "v2".into())]
    );
    // Version tags are not model tags.
    assert_eq!(
        sorted(&s.model("m").unwrap().tags),
        [("b".into(), "3".into())]
    );

    s.describe("m", None, "the model", &act()).unwrap();
    s.describe("m", Some(1), "the first version", &act())
        .unwrap();
    assert_eq!(s.model("m").unwrap().description, "the model");
    assert_eq!(s.version("m", 1).unwrap().description, "the first version");
    s.describe("m", None, "", &act()).unwrap();
    assert_eq!(s.model("m").unwrap().description, "");

    assert_err!(
        s.set_registry_tags("m", Some(9), &[set("k", "v")], &act()),
        NotFound
    );
    assert_err!(s.describe("m", Some(9), "x", &act()), NotFound);
}

pub fn delete_version_and_model(s: &mut dyn Backend) {
    model_with_versions(s, "m", 2);
    s.set_alias("m", "prod", 1, &act()).unwrap();
    s.set_alias("m", "also", 1, &act()).unwrap();

    let mut gone = s.delete_version("m", 1, &act()).unwrap();
    gone.sort();
    assert_eq!(gone, ["also", "prod"]);
    assert_err!(s.version("m", 1), NotFound);
    assert_err!(s.alias_version("m", "prod"), NotFound);
    assert_eq!(version_numbers(&s.versions("m").unwrap()), ["2"]);
    assert!(s.model("m").unwrap().aliases.is_empty());
    assert_err!(s.delete_version("m", 1, &act()), NotFound);
    assert!(s.delete_version("m", 2, &act()).unwrap().is_empty());

    // Numbers are never reused.
    let exp = experiment(s, "more");
    let run = run_with_model(s, &exp, "again");
    assert_eq!(register(s, "m", &run).version, "3");

    s.create_model("kept", "", &[], &act()).unwrap();
    s.delete_model("m", &act()).unwrap();
    assert_err!(s.model("m"), NotFound);
    assert_err!(s.version("m", 3), NotFound);
    assert_err!(s.versions("m"), NotFound);
    assert_eq!(model_names(&s.list_models(None).unwrap()), ["kept"]);
    assert_err!(s.delete_model("m", &act()), NotFound);
}

pub fn unknown_model_is_not_found(s: &mut dyn Backend) {
    let a = act();
    assert_err!(s.model("nope"), NotFound);
    assert_err!(s.versions("nope"), NotFound);
    assert_err!(s.version("nope", 1), NotFound);
    assert_err!(s.describe("nope", None, "x", &a), NotFound);
    assert_err!(
        s.set_registry_tags("nope", None, &[("k".into(), Some("v".into()))], &a),
        NotFound
    );
    assert_err!(s.delete_version("nope", 1, &a), NotFound);
    assert_err!(s.delete_alias("nope", "x", &a), NotFound);
    assert_err!(s.delete_model("nope", &a), NotFound);
}
