//! The C++17 header of a model: no dependency beyond the standard library, no heap.
//!
//! In namespace `NS` (default `rootgrad_model`):
//! - `n_features`, `n_folds`, `input_expressions[]`, `fold_expression`, `model_hash`;
//! - per network `foldK::mean`, `foldK::stddev` (double), `foldK::wL`, `foldK::bL`
//!   (float, `constexpr`), `foldK::logit(const float* features)` and
//!   `foldK::score(const float* features)`;
//! - `score(const float* features)` (one network) or `score(const float* features,
//!   double fold)` (k folds: the owner rule, NaN for a fold value that is not an integer
//!   from 0 to k - 1);
//! - unless `weights_only`: the input expressions translated to C++
//!   (`compute_features(branches..., float* features)`) and `score_entry(branches...)`,
//!   which computes the features (and the fold) from the raw branch values; indexed
//!   branches are template parameters (`ROOT::RVec`, `std::vector`, ...), the others
//!   `double`. `score_entry_call` is the call with the branch names, for
//!   `RDataFrame::Define`.
//! - for a reweighter's model: `rw(...)`, `rw_entry(...)` and `weight_rw_entry(...)`.
//!
//! Arithmetic matches `apply`: features computed in double and rounded to float, then
//! `float((double(x) - mean) / std)`, float layers, the stable sigmoid; a row with a
//! NaN or infinite feature scores NaN.

use std::fmt::Write as _;

use rootgrad_kernels::act::{SELU_ALPHA, SELU_SCALE};
use rootgrad_kernels::Act;

use super::{Exported, Net};
use crate::expr::{CppBranch, Expr};
use crate::{Error, Result};

/// A float literal that reads back to `v` (finite).
fn f32_lit(v: f32) -> String {
    format!("{v:?}f")
}

/// A double literal that reads back to `v` (finite).
fn f64_lit(v: f64) -> String {
    format!("{v:?}")
}

/// A C++ string literal of `s`.
fn str_lit(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\x{:02x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A valid C++ namespace name, or an error naming the flag.
fn check_namespace(ns: &str) -> Result<()> {
    let mut c = ns.chars();
    let ok = matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--namespace {ns}: give a C++ identifier (letters, digits and _), e.g. \
             --namespace my_tagger"
        )))
    }
}

const HELPERS: &str = r#"namespace detail {
inline double floor_rem(double x, double y) {
  const double r = std::fmod(x, y);
  return (r != 0.0 && ((r < 0.0) != (y < 0.0))) ? r + y : r;
}
inline double sign(double x) {
  return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (std::isnan(x) ? x : 0.0));
}
inline double min(double x, double y) {
  return (std::isnan(x) || std::isnan(y)) ? std::numeric_limits<double>::quiet_NaN() : (y < x ? y : x);
}
inline double max(double x, double y) {
  return (std::isnan(x) || std::isnan(y)) ? std::numeric_limits<double>::quiet_NaN() : (y > x ? y : x);
}
inline float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
template <std::size_t OUT, std::size_t IN>
inline void dense(const float (&w)[OUT][IN], const float (&b)[OUT], const float* x, float* y) {
  for (std::size_t o = 0; o < OUT; ++o) {
    float acc = 0.0f;
    for (std::size_t i = 0; i < IN; ++i) acc += w[o][i] * x[i];
    y[o] = acc + b[o];
  }
}
inline bool finite_row(const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}
constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();
constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();
}  // namespace detail
"#;

/// The C++ of activation `act` applied to float `v`.
fn act_cpp(act: Act, v: &str) -> String {
    match act {
        Act::Identity => v.to_string(),
        Act::Relu => format!("({v} > 0.0f ? {v} : 0.0f)"),
        Act::LeakyRelu(a) => format!("({v} > 0.0f ? {v} : {} * {v})", f32_lit(a as f32)),
        Act::Elu(a) => format!(
            "({v} > 0.0f ? {v} : {} * (std::exp({v}) - 1.0f))",
            f32_lit(a as f32)
        ),
        Act::Selu => format!(
            "({v} > 0.0f ? {s} * {v} : {s} * ({a} * (std::exp({v}) - 1.0f)))",
            s = f32_lit(SELU_SCALE as f32),
            a = f32_lit(SELU_ALPHA as f32)
        ),
        Act::Tanh => format!("std::tanh({v})"),
        Act::Sigmoid => format!("detail::sigmoid({v})"),
        Act::Silu => format!("({v} * detail::sigmoid({v}))"),
    }
}

/// Namespace `foldK`: the arrays and the forward pass of one network.
fn network(o: &mut String, k: usize, net: &Net) {
    let f = net.mean.len();
    let list = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(", ");
    let _ = writeln!(o, "namespace fold{k} {{");
    let _ = writeln!(
        o,
        "inline constexpr double mean[{f}] = {{{}}};",
        list(&mut net.mean.iter().map(|&v| f64_lit(v)))
    );
    let _ = writeln!(
        o,
        "inline constexpr double stddev[{f}] = {{{}}};",
        list(&mut net.std.iter().map(|&v| f64_lit(v)))
    );
    for (l, layer) in net.layers.iter().enumerate() {
        let rows: Vec<String> = layer
            .weight
            .chunks(layer.inp.max(1))
            .map(|r| format!("{{{}}}", list(&mut r.iter().map(|&v| f32_lit(v)))))
            .collect();
        let _ = writeln!(
            o,
            "inline constexpr float w{l}[{}][{}] = {{\n  {}}};",
            layer.out,
            layer.inp,
            rows.join(",\n  ")
        );
        let _ = writeln!(
            o,
            "inline constexpr float b{l}[{}] = {{{}}};",
            layer.out,
            list(&mut layer.bias.iter().map(|&v| f32_lit(v)))
        );
    }
    let _ = writeln!(
        o,
        "// The logit z of one row of raw features (NaN if one is NaN or infinite).\n\
         inline float logit(const float* features) {{\n  \
         if (!detail::finite_row(features, {f})) return detail::nan_f;\n  \
         float h0[{f}];\n  \
         for (std::size_t j = 0; j < {f}; ++j)\n    \
         h0[j] = static_cast<float>((static_cast<double>(features[j]) - mean[j]) / stddev[j]);"
    );
    let last = net.layers.len() - 1;
    for (l, layer) in net.layers.iter().enumerate() {
        let n = l + 1;
        let _ = writeln!(
            o,
            "  float h{n}[{}];\n  detail::dense(w{l}, b{l}, h{l}, h{n});",
            layer.out
        );
        if l < last && layer.act != Act::Identity {
            let _ = writeln!(
                o,
                "  for (std::size_t i = 0; i < {}; ++i) h{n}[i] = {};",
                layer.out,
                act_cpp(layer.act, &format!("h{n}[i]"))
            );
        }
    }
    let _ = writeln!(
        o,
        "  return h{}[0];\n}}\n\
         // The score sigmoid(z) of one row of raw features.\n\
         inline float score(const float* features) {{\n  \
         const float z = logit(features);\n  \
         return std::isnan(z) ? z : detail::sigmoid(z);\n}}\n\
         }}  // namespace fold{k}\n",
        net.layers.len()
    );
}

/// The parameter list for the branches `b` (with a template line when some are
/// containers), and the argument list (the names).
fn signature(b: &[CppBranch]) -> (String, String, String) {
    let tparams: Vec<String> = b
        .iter()
        .filter(|b| b.container)
        .map(|b| format!("class T_{}", b.name))
        .collect();
    let template = if tparams.is_empty() {
        String::new()
    } else {
        format!("template <{}>\n", tparams.join(", "))
    };
    let params = b
        .iter()
        .map(|b| {
            if b.container {
                format!("const T_{n}& {n}", n = b.name)
            } else {
                format!("double {}", b.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let args = b
        .iter()
        .map(|b| b.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    (template, params, args)
}

/// `a, b`, or `b` when `a` is empty.
fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}, {b}")
    }
}

/// Translates `exprs` with one branch list; returns the C++ of each and the branches.
fn translate(exprs: &[&str]) -> Result<(Vec<String>, Vec<CppBranch>)> {
    let mut branches = Vec::new();
    let code = exprs
        .iter()
        .map(|src| Expr::parse(src)?.to_cpp(&mut branches))
        .collect::<Result<Vec<_>>>()?;
    Ok((code, branches))
}

/// The functions of raw branch values: `compute_features`, `score_entry` and, for a
/// reweighter, `rw_entry` and `weight_rw_entry`.
fn entry_functions(o: &mut String, ns: &str, m: &Exported) -> Result<()> {
    let inputs: Vec<&str> = m.inputs.iter().map(|(_, e)| e.as_str()).collect();
    let f = inputs.len();
    let (code, b) = translate(&inputs)?;
    let (t, p, _) = signature(&b);
    let _ = writeln!(
        o,
        "// The features of one entry from its raw branch values (the input expressions).\n\
         {t}inline void compute_features({}) {{",
        join(&p, "float* features")
    );
    for (j, c) in code.iter().enumerate() {
        let _ = writeln!(
            o,
            "  // {}\n  features[{j}] = static_cast<float>({c});",
            inputs[j].replace('\n', " ")
        );
    }
    let _ = writeln!(o, "}}\n");
    // score_entry and the reweighter's functions take the inputs' branches first
    let mut all = inputs.clone();
    all.extend(m.fold.as_deref());
    let (code, b) = translate(&all)?;
    let (t, p, a) = signature(&b);
    let (_, _, fa) = signature(&translate(&inputs)?.1);
    let fcall = join(&fa, "features");
    let select = if m.fold.is_some() {
        format!(
            "  const double fold_value = {};\n  return score(features, fold_value);",
            code[f]
        )
    } else {
        "  return score(features);".to_string()
    };
    let _ = writeln!(
        o,
        "// The score of one entry from its raw branch values.\n\
         {t}inline float score_entry({p}) {{\n  float features[{f}];\n  \
         compute_features({fcall});\n{select}\n}}\n\
         // For RDataFrame::Define(\"score\", {ns}::score_entry_call).\n\
         inline constexpr const char* score_entry_call = {};\n",
        str_lit(&format!("{ns}::score_entry({a})"))
    );
    if let Some(r) = &m.reweight {
        let region = r.apply_to == "region" && r.cut.is_some();
        let mut rw_exprs = all.clone();
        if region {
            rw_exprs.extend(r.cut.as_deref());
        }
        let (code, b) = translate(&rw_exprs)?;
        let (t, p, a) = signature(&b);
        let fold_arg = if m.fold.is_some() {
            format!(", {}", code[f])
        } else {
            String::new()
        };
        let cut = if region {
            format!(
                "  const double in_region = {};\n  if (!(in_region != 0.0 && !std::isnan(in_region))) return detail::nan_d;\n",
                code[code.len() - 1]
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "// The factor rw of one entry from its raw branch values (NaN outside the cut).\n\
             {t}inline double rw_entry({p}) {{\n{cut}  float features[{f}];\n  \
             compute_features({fcall});\n  return rw(features{fold_arg});\n}}\n\
             inline constexpr const char* rw_entry_call = {};\n",
            str_lit(&format!("{ns}::rw_entry({a})"))
        );
        rw_exprs.push(&r.weight);
        let (code, b) = translate(&rw_exprs)?;
        let (t, p, a2) = signature(&b);
        let _ = writeln!(
            o,
            "// weight_rw = weight * rw * normalisation of one entry.\n\
             {t}inline double weight_rw_entry({p}) {{\n  \
             return ({}) * rw_entry({a}) * normalisation;\n}}\n\
             inline constexpr const char* weight_rw_entry_call = {};\n",
            code[code.len() - 1],
            str_lit(&format!("{ns}::weight_rw_entry({a2})"))
        );
    }
    Ok(())
}

/// The header's text. With `weights_only`, no function of raw branch values (and so no
/// expression is translated).
pub fn write(m: &Exported, ns: &str, weights_only: bool) -> Result<String> {
    check_namespace(ns)?;
    let f = m.inputs.len();
    let k = m.nets.len();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "// Generated by rootgrad {} (`rootgrad export --format cpp`) from {}.\n\
         // Model hash (xxh64 of the model file): {}. Do not edit; export again.\n\
         // C++17, standard library only, no heap allocation. See docs/export.md.\n\
         //\n// features[j], in this order:",
        super::ROOTGRAD_VERSION,
        m.source.replace('\n', " "),
        m.hash
    );
    for (j, (_, e)) in m.inputs.iter().enumerate() {
        let _ = writeln!(o, "//   [{j}] {}", e.replace('\n', " "));
    }
    if let Some(fe) = &m.fold {
        let _ = writeln!(
            o,
            "// {k} folds: network fold{{f}} scores the entries whose `{}` is f.",
            fe.replace('\n', " ")
        );
    }
    let guard = format!("ROOTGRAD_EXPORT_{}_H", ns.to_uppercase());
    let _ = writeln!(
        o,
        "#ifndef {guard}\n#define {guard}\n\n#include <cmath>\n#include <cstddef>\n#include <iterator>\n#include <limits>\n\n\
         namespace {ns} {{\n\n\
         inline constexpr std::size_t n_features = {f};\n\
         inline constexpr std::size_t n_folds = {k};\n\
         inline constexpr const char* model_hash = {};\n\
         inline constexpr const char* rootgrad_version = {};\n\
         inline constexpr const char* input_expressions[{f}] = {{{}}};\n\
         inline constexpr const char* fold_expression = {};\n",
        str_lit(&m.hash),
        str_lit(super::ROOTGRAD_VERSION),
        m.inputs
            .iter()
            .map(|(_, e)| str_lit(e))
            .collect::<Vec<_>>()
            .join(", "),
        str_lit(m.fold.as_deref().unwrap_or(""))
    );
    o.push_str(HELPERS);
    o.push('\n');
    for (i, net) in m.nets.iter().enumerate() {
        network(&mut o, i, net);
    }
    if m.fold.is_some() {
        let cases: String = (0..k)
            .map(|i| format!("    case {i}: return fold{i}::{{F}}(features);\n"))
            .collect();
        for (func, what) in [("logit", "logit"), ("score", "score")] {
            let _ = writeln!(
                o,
                "// The {what} of one row by the network of its fold (NaN unless fold is an \
                 integer from 0 to {}).\n\
                 inline float {func}(const float* features, double fold) {{\n  \
                 if (!(fold >= 0.0 && fold < {k}.0 && std::floor(fold) == fold)) return detail::nan_f;\n  \
                 switch (static_cast<int>(fold)) {{\n{}    default: return detail::nan_f;\n  }}\n}}\n",
                k - 1,
                cases.replace("{F}", func)
            );
        }
    } else {
        let _ = writeln!(
            o,
            "inline float logit(const float* features) {{ return fold0::logit(features); }}\n\
             inline float score(const float* features) {{ return fold0::score(features); }}\n"
        );
    }
    if let Some(r) = &m.reweight {
        let fold_p = if m.fold.is_some() {
            ", double fold"
        } else {
            ""
        };
        let fold_a = if m.fold.is_some() { ", fold" } else { "" };
        let cap = match r.max_weight {
            Some(c) => format!("  return r < {v} ? r : {v};", v = f64_lit(c)),
            None => "  return r;".into(),
        };
        let _ = writeln!(
            o,
            "// The reweighter's factor: rw = exp(z), capped at max_weight; the normalisation c\n\
             // of weight_rw = weight * rw * c ({}).\n\
             inline constexpr double normalisation = {};\n\
             inline double rw(const float* features{fold_p}) {{\n  \
             const float z = logit(features{fold_a});\n  \
             if (std::isnan(z)) return detail::nan_d;\n  \
             const double r = std::exp(static_cast<double>(z));\n{cap}\n}}\n",
            r.normalize,
            f64_lit(r.normalisation)
        );
    }
    if !weights_only {
        entry_functions(&mut o, ns, m)?;
    }
    let _ = writeln!(o, "}}  // namespace {ns}\n\n#endif  // {guard}");
    Ok(o)
}
