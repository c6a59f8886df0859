//! In-process scoring time of an ONNX model, without HTTP: the time to read a request body
//! into the model input and the time to predict it, per call.
//!
//!   cargo bench --bench scoring -- MODEL_DIR BODY.json [CALLS]
//!
//! MODEL_DIR holds `model.onnx` (an MLflow onnx model directory); BODY.json is a scoring
//! request (`dataframe_split`, `inputs`, …). Prints microseconds per call for parsing,
//! predicting, and both, with the median of five rounds.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use mlf::serving::onnx::OnnxPredictor;
use mlf::serving::{Predictor, parse_request};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [dir, body, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench scoring -- MODEL_DIR BODY.json [CALLS]");
        std::process::exit(2);
    };
    let calls: usize = rest.first().and_then(|c| c.parse().ok()).unwrap_or(2000);
    let model = PathBuf::from(dir).join("model.onnx");
    let predictor = OnnxPredictor::load(&model, None).unwrap_or_else(|e| {
        eprintln!("cannot load {}: {e:?}", model.display());
        std::process::exit(1);
    });
    let body = std::fs::read(body).expect("read the body");
    let (input, _) = parse_request(true, &body).expect("a valid request body");
    let check = predictor
        .predict(input.clone(), None)
        .expect("a prediction");
    let answer = serde_json::to_string(&check).unwrap_or_default();
    println!("answer: {}", &answer[..answer.len().min(120)]);

    let per_call = |f: &mut dyn FnMut()| {
        for _ in 0..calls / 10 {
            f();
        }
        let mut rounds: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..calls {
                    f();
                }
                t.elapsed().as_secs_f64() * 1e6 / calls as f64
            })
            .collect();
        rounds.sort_by(f64::total_cmp);
        rounds[2]
    };
    let parse = per_call(&mut || {
        std::hint::black_box(parse_request(true, &body).unwrap());
    });
    let predict = per_call(&mut || {
        std::hint::black_box(predictor.predict(input.clone(), None).unwrap());
    });
    let both = per_call(&mut || {
        let (input, _) = parse_request(true, &body).unwrap();
        std::hint::black_box(predictor.predict(input, None).unwrap());
    });
    println!("parse   {parse:9.1} us per call");
    println!("predict {predict:9.1} us per call (including a copy of the input)");
    println!("both    {both:9.1} us per call");
}
