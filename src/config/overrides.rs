//! `--set` and `--unset` on the parsed table, before it is checked. An override can make
//! a key of the file irrelevant (`--set adaptation.method=none` with `lambda = 10` in
//! the file; `--set training.folds=0` with a `fold` expression): such a key is removed
//! with a note instead of being refused as unused, because the user asked for the
//! switch on the command line. A file that is inconsistent by itself is still refused
//! (docs/config.md, "A key the chosen method would not use").

use toml::{Table, Value};

use super::read::apply_set;
use crate::{Error, Result};

/// (governing key, its default, the values that use the dependent keys, the dependent
/// keys). With `"!0"` the dependent keys are used by any value other than 0.
const RELEVANCE: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "adaptation.method",
        "none",
        &["histogram", "reversal", "both"],
        &["adaptation.lambda", "adaptation.warmup_epochs"],
    ),
    (
        "adaptation.method",
        "none",
        &["histogram", "both"],
        &["adaptation.bins"],
    ),
    (
        "adaptation.method",
        "none",
        &["reversal", "both"],
        &["adaptation.schedule", "adaptation.reversal_lambda"],
    ),
    (
        "adaptation.method",
        "none",
        &["doping"],
        &["adaptation.doping_fraction"],
    ),
    (
        "adaptation.schedule",
        "constant",
        &["dann"],
        &["adaptation.gamma"],
    ),
    ("training.folds", "0", &["!0"], &["training.fold"]),
];

fn get<'a>(root: &'a Table, key: &str) -> Option<&'a Value> {
    let (head, last) = match key.rsplit_once('.') {
        Some((h, l)) => (Some(h), l),
        None => (None, key),
    };
    let mut t = root;
    if let Some(h) = head {
        for p in h.split('.') {
            t = t.get(p)?.as_table()?;
        }
    }
    t.get(last)
}

fn remove(root: &mut Table, key: &str) -> Option<Value> {
    let (head, last) = match key.rsplit_once('.') {
        Some((h, l)) => (Some(h), l),
        None => (None, key),
    };
    let mut t = root;
    if let Some(h) = head {
        for p in h.split('.') {
            t = t.get_mut(p)?.as_table_mut()?;
        }
    }
    t.remove(last)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Applies `--unset KEY` (each must exist) and then `--set KEY=VALUE` (in order), then
/// removes the keys of the file that an override made irrelevant. Returns one note per
/// key removed that way.
pub(crate) fn apply(root: &mut Table, sets: &[String], unsets: &[String]) -> Result<Vec<String>> {
    let mut changed: Vec<(String, String)> = Vec::new();
    for k in unsets {
        let k = k.trim();
        if remove(root, k).is_none() {
            return Err(Error::Usage(format!(
                "--unset `{k}`: the run description has no such key (write it as a dotted \
                 key, e.g. adaptation.lambda)"
            )));
        }
        changed.push((k.to_string(), format!("--unset {k}")));
    }
    let mut set_keys = Vec::new();
    for s in sets {
        apply_set(root, s)?;
        if let Some((k, _)) = s.split_once('=') {
            set_keys.push(k.trim().to_string());
            changed.push((k.trim().to_string(), format!("--set {}", s.trim())));
        }
    }
    let mut notes = Vec::new();
    // a removed key can itself govern others (schedule -> gamma): repeat until stable
    loop {
        let mut removed = Vec::new();
        for &(gov, default, uses, deps) in RELEVANCE {
            let Some((_, why)) = changed.iter().rev().find(|(k, _)| k == gov) else {
                continue;
            };
            let value = get(root, gov).map_or(default.to_string(), text);
            let used = uses
                .iter()
                .any(|u| *u == value || (*u == "!0" && value != "0"));
            if used {
                continue;
            }
            for &d in deps {
                if set_keys.iter().any(|k| k == d) || get(root, d).is_none() {
                    continue;
                }
                remove(root, d);
                notes.push(format!(
                    "note: `{d}` from the run description is ignored: with {why} \
                     ({gov} = {value}) it is not used"
                ));
                removed.push((d.to_string(), why.clone()));
            }
        }
        if removed.is_empty() {
            break;
        }
        changed.extend(removed);
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn switching_the_method_drops_its_keys_with_a_note() {
        let mut t = table(
            "[adaptation]\nmethod = \"reversal\"\nlambda = 10.0\nschedule = \"dann\"\n\
             gamma = 5.0\n",
        );
        let notes = apply(&mut t, &strings(&["adaptation.method=none"]), &[]).unwrap();
        let a = t["adaptation"].as_table().unwrap();
        assert_eq!(a.keys().collect::<Vec<_>>(), vec!["method"]);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("adaptation.lambda") && notes[0].contains("--set"));
        // gamma goes with the schedule it depended on
        assert!(notes.iter().any(|n| n.contains("adaptation.gamma")));
    }

    #[test]
    fn a_key_set_on_the_command_line_is_kept_and_unset_removes() {
        let mut t = table("[adaptation]\nmethod = \"histogram\"\nlambda = 10.0\n");
        let sets = strings(&["adaptation.method=none", "adaptation.lambda=3.0"]);
        let notes = apply(&mut t, &sets, &[]).unwrap();
        assert!(notes.is_empty());
        assert_eq!(t["adaptation"]["lambda"].as_float(), Some(3.0));
        let mut t = table("[training]\nfolds = 5\nfold = \"event % 5\"\n");
        let notes = apply(&mut t, &[], &strings(&["training.folds"])).unwrap();
        assert!(t["training"].get("fold").is_none());
        assert!(notes[0].contains("--unset training.folds"), "{notes:?}");
        let e = apply(&mut t, &[], &strings(&["training.nope"])).unwrap_err();
        assert!(e.to_string().contains("training.nope"), "{e}");
    }
}
