//! The ONNX graph of a model (opset 13, float32), written with prost ([`super::proto`]).
//!
//! Inputs: `features` [N, F] (the model's inputs in its order, raw: the graph
//! standardises), and for a k-fold model `fold` [N, 1], the fold expression's value.
//! Outputs: `score` [N, 1]; for a reweighter's model also `rw` [N, 1].
//!
//! Each network k: `Sub(Sub(features, mean_hi_k), mean_lo_k)` (the f64 mean as a float
//! pair, so a large mean keeps its precision), `Div(., std_k)`, then per layer
//! `Gemm(h, W, b, transB = 1)` (W in PyTorch's (out, in) layout) and the activation
//! (SiLU as `Mul(h, Sigmoid(h))`), giving the logit z_k [N, 1]. With folds the logits
//! are joined [N, k] and the one whose index equals `fold` is kept
//! (`Where(Equal(fold, [0..k-1]), z, 0)` summed over k); a `fold` that is not one of
//! 0..k-1 gives NaN. A row with a NaN or infinite feature gets NaN: `ReduceSum(features -
//! features)` over the row is 0 for finite rows and NaN otherwise, and is added to the
//! logit. `score = Sigmoid(z)`; `rw = Min(Exp(z), max_weight)`.

use prost::Message;
use rootgrad_kernels::act::{SELU_ALPHA, SELU_SCALE};
use rootgrad_kernels::Act;

use super::proto::*;
use super::{Exported, Net};

/// The opset the graph uses.
pub const OPSET: i64 = 13;
/// The IR version of opset 13's ONNX release (1.8).
pub const IR_VERSION: i64 = 7;

/// A graph under construction.
#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    n: usize,
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(ATTR_INT),
        ..Default::default()
    }
}

fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(ATTR_FLOAT),
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| match d {
            Some(v) => Dimension {
                dim_value: Some(*v),
                dim_param: None,
            },
            None => Dimension {
                dim_value: None,
                dim_param: Some("N".into()),
            },
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: Some(FLOAT),
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}

impl Graph {
    /// A float constant of shape `dims`.
    fn constant(&mut self, name: &str, dims: &[i64], v: Vec<f32>) -> String {
        self.inits.push(TensorProto {
            dims: dims.to_vec(),
            data_type: Some(FLOAT),
            float_data: v,
            name: Some(name.into()),
            ..Default::default()
        });
        name.into()
    }

    /// An int64 constant vector.
    fn ints(&mut self, name: &str, v: Vec<i64>) -> String {
        self.inits.push(TensorProto {
            dims: vec![v.len() as i64],
            data_type: Some(INT64),
            int64_data: v,
            name: Some(name.into()),
            ..Default::default()
        });
        name.into()
    }

    /// Adds a node; returns its output's name (`out`, or a fresh one when empty).
    fn node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>, out: &str) -> String {
        self.n += 1;
        let out = if out.is_empty() {
            format!("{}_{}", op.to_lowercase(), self.n)
        } else {
            out.to_string()
        };
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name: Some(format!("{op}_{}", self.n)),
            op_type: Some(op.into()),
            attribute: attrs,
        });
        out
    }

    fn activation(&mut self, act: Act, h: &str) -> String {
        match act {
            Act::Identity => self.node("Identity", &[h], vec![], ""),
            Act::Relu => self.node("Relu", &[h], vec![], ""),
            Act::LeakyRelu(a) => {
                self.node("LeakyRelu", &[h], vec![float_attr("alpha", a as f32)], "")
            }
            Act::Elu(a) => self.node("Elu", &[h], vec![float_attr("alpha", a as f32)], ""),
            Act::Selu => self.node(
                "Selu",
                &[h],
                vec![
                    float_attr("alpha", SELU_ALPHA as f32),
                    float_attr("gamma", SELU_SCALE as f32),
                ],
                "",
            ),
            Act::Tanh => self.node("Tanh", &[h], vec![], ""),
            Act::Sigmoid => self.node("Sigmoid", &[h], vec![], ""),
            Act::Silu => {
                let s = self.node("Sigmoid", &[h], vec![], "");
                self.node("Mul", &[h, &s], vec![], "")
            }
        }
    }

    /// Network k's logit [N, 1] of the raw `features`.
    fn network(&mut self, k: usize, net: &Net) -> String {
        let f = net.mean.len() as i64;
        // the f64 mean as a float pair hi + lo, subtracted one after the other, so a
        // feature whose mean is large against its spread keeps its precision
        let hi: Vec<f32> = net.mean.iter().map(|&v| v as f32).collect();
        let lo: Vec<f32> = net
            .mean
            .iter()
            .zip(&hi)
            .map(|(&v, &h)| (v - h as f64) as f32)
            .collect();
        let mean_hi = self.constant(&format!("net{k}_mean_hi"), &[f], hi);
        let mean_lo = self.constant(&format!("net{k}_mean_lo"), &[f], lo);
        let std = self.constant(
            &format!("net{k}_std"),
            &[f],
            net.std.iter().map(|&v| v as f32).collect(),
        );
        let c = self.node("Sub", &["features", &mean_hi], vec![], "");
        let c = self.node("Sub", &[&c, &mean_lo], vec![], "");
        let mut h = self.node("Div", &[&c, &std], vec![], &format!("net{k}_standardized"));
        let last = net.layers.len() - 1;
        for (l, layer) in net.layers.iter().enumerate() {
            let w = self.constant(
                &format!("net{k}_layer{l}_weight"),
                &[layer.out as i64, layer.inp as i64],
                layer.weight.clone(),
            );
            let b = self.constant(
                &format!("net{k}_layer{l}_bias"),
                &[layer.out as i64],
                layer.bias.clone(),
            );
            let name = if l == last {
                format!("net{k}_logit")
            } else {
                String::new()
            };
            h = self.node("Gemm", &[&h, &w, &b], vec![int_attr("transB", 1)], &name);
            if l < last {
                h = self.activation(layer.act, &h);
            }
        }
        h
    }

    /// The logit of each row's own fold: logits [N, k] of `z`, `fold` [N, 1].
    fn pick_fold(&mut self, z: &[String]) -> String {
        let k = z.len();
        let refs: Vec<&str> = z.iter().map(String::as_str).collect();
        let all = self.node("Concat", &refs, vec![int_attr("axis", 1)], "logits");
        let idx = self.constant(
            "fold_indices",
            &[k as i64],
            (0..k).map(|i| i as f32).collect(),
        );
        let zero = self.constant("zero", &[1], vec![0.0]);
        let nan = self.constant("nan", &[1], vec![f32::NAN]);
        let axes = self.ints("axis1", vec![1]);
        let eq = self.node("Equal", &["fold", &idx], vec![], "fold_is");
        let kept = self.node("Where", &[&eq, &all, &zero], vec![], "");
        let keep = [int_attr("keepdims", 1)];
        let sum = self.node("ReduceSum", &[&kept, &axes], keep.to_vec(), "");
        let eqf = self.node("Cast", &[&eq], vec![int_attr("to", FLOAT as i64)], "");
        let count = self.node("ReduceSum", &[&eqf, &axes], keep.to_vec(), "");
        let none = self.node("Equal", &[&count, &zero], vec![], "");
        let penalty = self.node("Where", &[&none, &nan, &zero], vec![], "");
        self.node("Add", &[&sum, &penalty], vec![], "")
    }
}

/// The ONNX model's bytes.
pub fn write(m: &Exported) -> Vec<u8> {
    let mut g = Graph::default();
    let z: Vec<String> = m
        .nets
        .iter()
        .enumerate()
        .map(|(k, net)| g.network(k, net))
        .collect();
    let folded = m.fold.is_some();
    let z = if folded {
        g.pick_fold(&z)
    } else {
        z[0].clone()
    };
    // NaN for a row with a non-finite feature: sum over the row of x - x
    let axes = g.ints("row_axis", vec![1]);
    let d = g.node("Sub", &["features", "features"], vec![], "");
    let mask = g.node(
        "ReduceSum",
        &[&d, &axes],
        vec![int_attr("keepdims", 1)],
        "nonfinite_mask",
    );
    let z = g.node("Add", &[&z, &mask], vec![], "logit");
    g.node("Sigmoid", &[&z], vec![], "score");
    let f = m.inputs.len() as i64;
    let mut inputs = vec![value_info("features", &[None, Some(f)])];
    if folded {
        inputs.push(value_info("fold", &[None, Some(1)]));
    }
    let mut outputs = vec![value_info("score", &[None, Some(1)])];
    if let Some(r) = &m.reweight {
        let e = g.node(
            "Exp",
            &[&z],
            vec![],
            if r.max_weight.is_some() { "" } else { "rw" },
        );
        if let Some(cap) = r.max_weight {
            let c = g.constant("max_weight", &[1], vec![cap as f32]);
            g.node("Min", &[&e, &c], vec![], "rw");
        }
        outputs.push(value_info("rw", &[None, Some(1)]));
    }
    let graph = GraphProto {
        node: g.nodes,
        name: Some("rootgrad".into()),
        initializer: g.inits,
        doc_string: Some(format!(
            "rootgrad model {} (xxh64 {}): features in this order: {}",
            m.source,
            m.hash,
            m.inputs
                .iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        input: inputs,
        output: outputs,
    };
    let model = ModelProto {
        ir_version: Some(IR_VERSION),
        producer_name: Some("rootgrad".into()),
        producer_version: Some(super::ROOTGRAD_VERSION.into()),
        doc_string: None,
        graph: Some(graph),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        metadata_props: m
            .metadata()
            .into_iter()
            .map(|(k, v)| StringStringEntryProto {
                key: Some(k),
                value: Some(v),
            })
            .collect(),
    };
    model.encode_to_vec()
}
