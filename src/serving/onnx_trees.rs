//! The tree-ensemble operators as tract operators: the ONNX node's attributes are read into a
//! [`trees::Spec`], and the whole operator (trees, aggregation, base values, post transform,
//! labels) runs as one node of the optimised plan, evaluated by [`super::trees`].

use std::sync::Arc;

use tract_onnx::model::{Onnx, ParsingContext};
use tract_onnx::pb::{NodeProto, TensorProto};
use tract_onnx::tract_hir::internal::*;

use super::onnx_rewrite::{attr, attr_ints, attr_str};
use super::trees::{
    Aggregate, Classifier, InvalidEnsemble, Labels, Mode, PostTransform, Regressor, Spec,
};

/// Makes `onnx` load TreeEnsembleClassifier and TreeEnsembleRegressor as native operators.
pub fn register(onnx: &mut Onnx) {
    onnx.op_register
        .insert("TreeEnsembleClassifier", classifier_op);
    onnx.op_register
        .insert("TreeEnsembleRegressor", regressor_op);
}

/// A tensor attribute's values as f64 (float or double, inline or raw little-endian data).
fn tensor_values(t: &TensorProto, name: &str) -> TractResult<Vec<f64>> {
    match t.data_type {
        1 if !t.float_data.is_empty() => Ok(t.float_data.iter().map(|&v| v as f64).collect()),
        1 => Ok(t
            .raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            .collect()),
        11 if !t.double_data.is_empty() => Ok(t.double_data.clone()),
        11 => Ok(t
            .raw_data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect()),
        other => bail!("attribute {name} is a tensor of type {other}; float or double is needed"),
    }
}

/// A float list attribute, or its `<name>_as_tensor` form.
fn floats(node: &NodeProto, name: &str) -> TractResult<Vec<f64>> {
    if let Some(a) = attr(node, &format!("{name}_as_tensor"))
        && let Some(t) = &a.t
    {
        return tensor_values(t, name);
    }
    Ok(attr(node, name)
        .map(|a| a.floats.iter().map(|&v| v as f64).collect())
        .unwrap_or_default())
}

fn plain_error(e: InvalidEnsemble) -> TractError {
    anyhow::anyhow!(e)
}

/// The attributes both operators share; `prefix` is `class` or `target`.
fn spec(node: &NodeProto, prefix: &str) -> TractResult<Spec> {
    let modes = attr(node, "nodes_modes")
        .map(|a| {
            a.strings
                .iter()
                .map(|s| Mode::parse(&String::from_utf8_lossy(s)))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(plain_error)?
        .unwrap_or_default();
    let post_transform = attr_str(node, "post_transform")
        .map(|s| PostTransform::parse(&s))
        .transpose()
        .map_err(plain_error)?;
    let aggregate = attr_str(node, "aggregate_function")
        .map(|s| Aggregate::parse(&s))
        .transpose()
        .map_err(plain_error)?;
    Ok(Spec {
        tree_ids: attr_ints(node, "nodes_treeids"),
        node_ids: attr_ints(node, "nodes_nodeids"),
        feature_ids: attr_ints(node, "nodes_featureids"),
        values: floats(node, "nodes_values")?,
        modes,
        true_ids: attr_ints(node, "nodes_truenodeids"),
        false_ids: attr_ints(node, "nodes_falsenodeids"),
        missing_tracks_true: attr_ints(node, "nodes_missing_value_tracks_true"),
        weight_tree_ids: attr_ints(node, &format!("{prefix}_treeids")),
        weight_node_ids: attr_ints(node, &format!("{prefix}_nodeids")),
        weight_ids: attr_ints(node, &format!("{prefix}_ids")),
        weights: floats(node, &format!("{prefix}_weights"))?,
        base_values: floats(node, "base_values")?,
        post_transform,
        aggregate,
    })
}

fn classifier_op(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let spec = spec(node, "class")?;
    let strings = attr(node, "classlabels_strings").map(|a| &a.strings);
    let labels = match (attr_ints(node, "classlabels_int64s"), strings) {
        (v, None) if !v.is_empty() => Labels::Ints(v),
        (v, Some(s)) if v.is_empty() && !s.is_empty() => Labels::Strings(
            s.iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect(),
        ),
        _ => {
            bail!("TreeEnsembleClassifier needs one of classlabels_int64s and classlabels_strings")
        }
    };
    if spec.aggregate.is_some() {
        bail!("TreeEnsembleClassifier has no aggregate_function attribute");
    }
    let model = Classifier::new(&spec, labels).map_err(plain_error)?;
    Ok((
        expand(TreeEnsemble(Arc::new(Model::Classifier(model)))),
        vec![],
    ))
}

fn regressor_op(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let spec = spec(node, "target")?;
    let targets = attr(node, "n_targets").map(|a| a.i).unwrap_or(1);
    if !(1..=1 << 20).contains(&targets) {
        bail!("TreeEnsembleRegressor has n_targets {targets}");
    }
    let model = Regressor::new(&spec, targets as usize).map_err(plain_error)?;
    Ok((
        expand(TreeEnsemble(Arc::new(Model::Regressor(model)))),
        vec![],
    ))
}

#[derive(Debug)]
enum Model {
    Classifier(Classifier),
    Regressor(Regressor),
}

impl Model {
    fn min_features(&self) -> usize {
        match self {
            Model::Classifier(c) => c.min_features(),
            Model::Regressor(r) => r.min_features(),
        }
    }
}

/// The operator: as loaded (an expansion) and in the plan (a typed operator).
#[derive(Debug, Clone)]
struct TreeEnsemble(Arc<Model>);

impl Expansion for TreeEnsemble {
    fn name(&self) -> StaticName {
        match &*self.0 {
            Model::Classifier(_) => "TreeEnsembleClassifier".into(),
            Model::Regressor(_) => "TreeEnsembleRegressor".into(),
        }
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(match &*self.0 {
            Model::Classifier(_) => 2,
            Model::Regressor(_) => 1,
        })
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&inputs[0].rank, 2)?;
        match &*self.0 {
            Model::Classifier(c) => {
                check_output_arity(outputs, 2)?;
                s.equals(&outputs[0].datum_type, label_type(c))?;
                s.equals(&outputs[0].rank, 1)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].datum_type, DatumType::F32)?;
                s.equals(&outputs[1].rank, 2)?;
                s.equals(&outputs[1].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].shape[1], c.classes().to_dim())?;
            }
            Model::Regressor(r) => {
                check_output_arity(outputs, 1)?;
                s.equals(&outputs[0].datum_type, DatumType::F32)?;
                s.equals(&outputs[0].rank, 2)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[0].shape[1], r.targets().to_dim())?;
            }
        }
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, self.clone(), inputs)
    }
}

fn label_type(c: &Classifier) -> DatumType {
    match c.labels() {
        Labels::Ints(_) => DatumType::I64,
        Labels::Strings(_) => DatumType::String,
    }
}

impl Op for TreeEnsemble {
    fn name(&self) -> StaticName {
        Expansion::name(self)
    }

    op_as_typed_op!();
}

impl EvalOp for TreeEnsemble {
    fn is_stateless(&self) -> bool {
        true
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let input = input.cast_to::<f32>()?;
        let (rows, width) = match *input.shape() {
            [rows, width] => (rows, width),
            _ => bail!("a tree ensemble takes a 2-D input"),
        };
        let needed = self.0.min_features();
        if width < needed {
            bail!("the trees read {needed} features, but the input has {width}");
        }
        let data = input.as_slice::<f32>()?;
        match &*self.0 {
            Model::Regressor(r) => {
                let mut out = Vec::new();
                r.eval(data, width, &mut out);
                let t = Tensor::from_shape(&[rows, r.targets()], &out)?;
                Ok(tvec!(t.into_tvalue()))
            }
            Model::Classifier(c) => {
                let (mut labels, mut scores) = (Vec::new(), Vec::new());
                c.eval(data, width, &mut labels, &mut scores);
                let labels = match c.labels() {
                    Labels::Ints(_) => Tensor::from_shape(&[rows], &labels)?,
                    Labels::Strings(_) => {
                        let text: Vec<String> = labels
                            .iter()
                            .map(|&l| c.label_text(l).to_string())
                            .collect();
                        tract_ndarray::Array1::from_vec(text).into_tensor()
                    }
                };
                let scores = Tensor::from_shape(&[rows, c.classes()], &scores)?;
                Ok(tvec!(labels.into_tvalue(), scores.into_tvalue()))
            }
        }
    }
}

impl TypedOp for TreeEnsemble {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let n = inputs[0].shape[0].clone();
        Ok(match &*self.0 {
            Model::Classifier(c) => tvec!(
                TypedFact::dt_shape(label_type(c), [n.clone()]),
                f32::fact([n, c.classes().to_dim()])
            ),
            Model::Regressor(r) => tvec!(f32::fact([n, r.targets().to_dim()])),
        })
    }

    as_op!();
}
