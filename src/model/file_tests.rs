//! The model file and networks with several outputs per row: a multi-output network's
//! layers round-trip through model.json bit for bit (its outputs read back from the last
//! layer's width), a classifier's last layer stays `sigmoid`, and the scorer (apply,
//! export, report and every scoring command) refuses a model that is not a classifier,
//! naming the file.

use std::path::PathBuf;

use super::file::{Input, Layer, ModelFile, Scoring, FORMAT, VERSION};
use super::scorer::Scorer;
use crate::data::sets::Standardize;
use crate::nn::{eval, Act, Init, Network, NetworkSpec};
use crate::Error;

fn net(outputs: usize) -> Network {
    Network::new(NetworkSpec {
        inputs: 3,
        hidden: vec![5, 4],
        activation: Act::Tanh,
        dropout: 0.0,
        outputs,
        domain_head: None,
        mass_head: None,
    })
    .unwrap()
}

fn standardize() -> Standardize {
    Standardize {
        mean: vec![0.5, -1.0, 2.0],
        std: vec![2.0, 0.25, 1.5],
    }
}

/// A model file holding `s` alone, written to a fresh temporary path.
fn write_model(s: &Scoring, tag: &str) -> PathBuf {
    let m = ModelFile {
        format: FORMAT.into(),
        version: VERSION,
        inputs: ["a", "b", "c"]
            .iter()
            .map(|n| Input {
                name: n.to_string(),
                expression: n.to_string(),
            })
            .collect(),
        standardize: Some(s.standardize.clone()),
        layers: Some(s.layers.clone()),
        folds: None,
        training: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
        provenance: serde_json::Value::Null,
        reweight: None,
    };
    let dir = std::env::temp_dir().join(format!("rootgrad-model-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    std::fs::write(&path, m.to_json().unwrap()).unwrap();
    path
}

#[test]
fn a_multi_output_network_round_trips_through_the_model_file() {
    let q = 5;
    let n = net(q);
    let params = n.new_params::<f32>(Init::HeNormal, 3);
    let s = Scoring::from_params(&n, &params, &standardize());
    let last = s.layers.last().unwrap();
    assert_eq!(last.activation, "identity");
    assert_eq!((last.weight.len(), last.bias.len()), (q, q));
    let path = write_model(&s, "multi");
    let m = ModelFile::read(&path).unwrap();
    let back = m.single().unwrap();
    assert_eq!(back, s);
    let (net2, params2, st) = back.network(3, "test").unwrap();
    assert_eq!(net2.outputs(), q);
    assert_eq!(net2.spec().hidden, vec![5, 4]);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&params2), bits(&params));
    assert_eq!((st.mean, st.std), (standardize().mean, standardize().std));
    // the reloaded network gives the same Q values per row
    let x: Vec<f32> = (0..7 * 3).map(|i| (i as f32 * 0.37).sin()).collect();
    let z = eval::logits(&n, &params, &x).unwrap();
    assert_eq!(z.len(), 7 * q);
    assert_eq!(bits(&eval::logits(&net2, &params2, &x).unwrap()), bits(&z));

    // the scorer refuses it, naming the file and what it needs
    match Scorer::from_file(&m, &path) {
        Err(Error::Usage(msg)) => {
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains("5 outputs"), "{msg}");
            assert!(msg.contains("classifier"), "{msg}");
        }
        Err(e) => panic!("expected a usage error, got {e}"),
        Ok(_) => panic!("a 5-output model was accepted as a classifier"),
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_classifier_keeps_its_sigmoid_and_scores() {
    let n = net(1);
    let params = n.new_params::<f32>(Init::Torch, 4);
    let s = Scoring::from_params(&n, &params, &standardize());
    let last = s.layers.last().unwrap();
    assert_eq!(last.activation, "sigmoid");
    assert_eq!(last.bias.len(), 1);
    let path = write_model(&s, "classifier");
    let m = ModelFile::read(&path).unwrap();
    let scorer = Scorer::from_file(&m, &path).unwrap();
    assert_eq!(scorer.nets()[0].net.outputs(), 1);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_last_layer_that_is_neither_kind_is_refused() {
    let n = net(3);
    let params = n.new_params::<f32>(Init::Torch, 5);
    let good = Scoring::from_params(&n, &params, &standardize());
    // three outputs through a sigmoid, or one through relu: neither a classifier's
    // last layer nor a multi-output network's
    for (act, keep) in [("sigmoid", 3), ("relu", 1)] {
        let mut s = good.clone();
        let last: &mut Layer = s.layers.last_mut().unwrap();
        last.activation = act.into();
        last.weight.truncate(keep);
        last.bias.truncate(keep);
        match s.network(3, "m.json") {
            Err(Error::Usage(msg)) => {
                assert!(msg.starts_with("m.json: the last layer"), "{msg}");
                assert!(msg.contains(&format!("{keep} outputs")), "{msg}");
            }
            other => panic!("{act}: expected a usage error, got {:?}", other.err()),
        }
    }
}
