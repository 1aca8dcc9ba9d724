//! The layers of `src/`, checked: every top-level module of the library may use only
//! modules of a lower layer, or of its own layer when the imports inside that layer form
//! no circle. The table is docs/architecture.md's; a new module must be placed in it.
//!
//! An import is any `crate::<module>` path in the code (comments are left out), or a
//! `<module>::` path inside a `use crate::{...}` group.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, top first (docs/architecture.md).
const LAYERS: &[&[&str]] = &[
    &["main", "cmd", "cli"],
    &[
        "apply", "batch", "evaluate", "export", "reweight", "report", "samples",
    ],
    &["train"],
    &["model", "run_folder", "data", "config"],
    &["nn", "loss", "optim", "metrics", "expr", "root"],
    &["error", "output", "progress", "random", "interrupt"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The code of a Rust file with `//` comments removed (line comments and doc comments).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifiers_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

/// The modules `code` imports: `crate::x` paths, and `x::` heads inside `use crate::{}`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = identifiers_after(code, "crate::").into_iter().collect();
    let mut rest = code;
    while let Some(i) = rest.find("use crate::{") {
        rest = &rest[i + "use crate::{".len()..];
        let end = rest.find("};").unwrap_or(rest.len());
        let group = &rest[..end];
        // the heads of the group's paths: after `{`, `,` or the start
        for part in group.split([',', '{']) {
            let head: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if part.trim().starts_with(&format!("{head}::")) && !head.is_empty() {
                out.insert(head);
            }
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// Top-level module -> the top-level modules it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let top = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).expect("read"));
        let entry = g.entry(top.clone()).or_default();
        for m in imports(&code) {
            // `crate::Result`, `crate::Error`: the re-exports of lib.rs, from `error`
            let m = if m == "Result" || m == "Error" {
                "error".to_string()
            } else {
                m
            };
            if m != top {
                entry.insert(m);
            }
        }
    }
    g
}

#[test]
fn every_module_has_a_layer() {
    let g = graph();
    let missing: Vec<&String> = g.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "modules not in the layer table (validation/architecture.rs, docs/architecture.md): \
         {missing:?}"
    );
}

#[test]
fn layers_import_only_downward() {
    let g = graph();
    let mut bad = Vec::new();
    for (m, deps) in &g {
        let Some(lm) = layer_of(m) else { continue };
        for d in deps {
            match layer_of(d) {
                // a lower layer is further down the table
                Some(ld) if ld >= lm => {}
                Some(_) => bad.push(format!("{m} imports {d}, a higher layer")),
                None => bad.push(format!("{m} imports {d}, which has no layer")),
            }
        }
    }
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn no_import_circles() {
    let g = graph();
    // depth-first search for a back edge; the path is reported
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let i = path.iter().position(|p| p == m).unwrap_or(0);
                let mut c = path[i..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        let mut path = Vec::new();
        if let Some(c) = visit(m, &g, &mut state, &mut path) {
            panic!("import circle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_imports() {
    // the parser itself, on a made-up file: comments are not imports
    let code = code_of(
        "use crate::nn::eval::logits;\nuse crate::{data::sets::Set, loss::{a, b}, Result};\n\
         // see crate::cmd for the command\nlet x = crate::metrics::ks_distance();",
    );
    let got = imports(&code);
    let want: BTreeSet<String> = ["nn", "data", "loss", "metrics"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn kernels_gemm_is_a_leaf() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels/src/gemm.rs");
    let code = code_of(&std::fs::read_to_string(path).expect("read gemm.rs"));
    let deps: Vec<String> = imports(&code)
        .into_iter()
        .filter(|m| m != "Real" && m != "Result")
        .collect();
    assert!(
        deps.is_empty(),
        "kernels/src/gemm.rs must be the leaf of the kernels crate; it imports {deps:?}"
    );
}
