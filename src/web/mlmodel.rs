//! An MLmodel file in the UI: its flavors and its signature's inputs and outputs, for the
//! artifact preview and a registered version's page.

use super::view::Preview;

/// A signature's columns or tensors as (name, type) rows, a tensor's type with its shape.
pub(super) fn spec_rows(v: Vec<crate::models::SpecItem>) -> Vec<(String, String)> {
    v.into_iter()
        .map(|i| {
            let shape = i
                .shape
                .map(|s| {
                    let dims: Vec<String> = s.iter().map(i64::to_string).collect();
                    format!(" [{}]", dims.join(", "))
                })
                .unwrap_or_default();
            (
                i.name.unwrap_or_else(|| "-".into()),
                format!("{}{shape}", i.kind),
            )
        })
        .collect()
}

/// What the preview of an MLmodel file shows: its flavors and signature.
pub(super) fn preview(text: &str) -> Option<Preview> {
    let m: crate::models::MlModel = serde_yaml::from_str(text).ok()?;
    let items = spec_rows;
    let sig = m.signature.clone().unwrap_or_default();
    Some(Preview::Model {
        flavors: m.flavors.keys().cloned().collect(),
        has_signature: m.signature.is_some(),
        inputs: items(sig.input_items()),
        outputs: items(sig.output_items()),
        text: text.to_string(),
    })
}
