//! Reading a TOML table with every key checked: a key that is not in a section's list is
//! an error naming it by its full dotted path and suggesting the nearest valid key, and a
//! value of the wrong type is an error that says what was expected. Also the
//! `--set KEY=VALUE` overrides, applied to the parsed table before it is checked.

use toml::{Table, Value};

use crate::error::nearest_first;
use crate::{Error, Result};

/// One section of the run description: its dotted path (`training`,
/// `classification.signal`) and its table.
pub(crate) struct Section<'a> {
    pub path: String,
    pub table: &'a Table,
    /// The file the section came from, for messages.
    pub file: &'a str,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

impl<'a> Section<'a> {
    pub fn new(file: &'a str, path: impl Into<String>, table: &'a Table) -> Section<'a> {
        Section {
            path: path.into(),
            table,
            file,
        }
    }

    /// The full dotted name of `key` in this section.
    pub fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn err(&self, msg: String) -> Error {
        Error::Usage(format!("{}: {msg}", self.file))
    }

    /// Refuses any key not in `allowed`, suggesting the nearest one.
    pub fn check_keys(&self, allowed: &[&str]) -> Result<()> {
        for k in self.table.keys() {
            if allowed.contains(&k.as_str()) {
                continue;
            }
            let near = nearest_first(k, allowed.iter().map(|s| s.to_string()));
            let hint = match near.first() {
                Some(n) => format!("did you mean `{}`? ", self.key(n)),
                None => String::new(),
            };
            let place = if self.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{}]", self.path)
            };
            return Err(self.err(format!(
                "unknown key `{}` {place}; {hint}valid keys: {}",
                self.key(k),
                allowed.join(", ")
            )));
        }
        Ok(())
    }

    fn wrong(&self, key: &str, v: &Value, want: &str, example: &str) -> Error {
        self.err(format!(
            "`{}` must be {want}, not {}; write e.g. {key} = {example}",
            self.key(key),
            type_name(v)
        ))
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    pub fn table(&self, key: &str) -> Result<Option<Section<'a>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(Section::new(self.file, self.key(key), t))),
            Some(v) => Err(self.err(format!(
                "`{}` must be a table (`[{}]` or `{key} = {{ ... }}`), not {}",
                self.key(key),
                self.key(key),
                type_name(v)
            ))),
        }
    }

    pub fn f64(&self, key: &str, example: &str) -> Result<Option<f64>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Float(f)) => Ok(Some(*f)),
            Some(Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(v) => Err(self.wrong(key, v, "a number", example)),
        }
    }

    /// A finite number, `default` when absent.
    pub fn finite(&self, key: &str, default: f64, example: &str) -> Result<f64> {
        let v = self.f64(key, example)?.unwrap_or(default);
        if !v.is_finite() {
            return Err(self.err(format!(
                "`{}` = {v} is not a finite number; write e.g. {key} = {example}",
                self.key(key)
            )));
        }
        Ok(v)
    }

    pub fn u64(&self, key: &str, example: &str) -> Result<Option<u64>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(v @ Value::Integer(_)) => Err(self.wrong(key, v, "an integer >= 0", example)),
            Some(v) => Err(self.wrong(key, v, "an integer", example)),
        }
    }

    pub fn usize(&self, key: &str, default: usize, example: &str) -> Result<usize> {
        Ok(self
            .u64(key, example)?
            .map(|v| v as usize)
            .unwrap_or(default))
    }

    /// An integer >= 1.
    pub fn positive(&self, key: &str, default: usize, example: &str) -> Result<usize> {
        let v = self.usize(key, default, example)?;
        if v == 0 {
            return Err(self.err(format!(
                "`{}` = 0; it must be at least 1, e.g. {key} = {example}",
                self.key(key)
            )));
        }
        Ok(v)
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.table.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.wrong(key, v, "true or false", "true")),
        }
    }

    pub fn string(&self, key: &str, example: &str) -> Result<Option<String>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.wrong(key, v, "a string", example)),
        }
    }

    /// One of `choices`, `default` when absent.
    pub fn choice(&self, key: &str, choices: &[&str], default: &str) -> Result<String> {
        let example = format!("\"{default}\"");
        let s = self.string(key, &example)?.unwrap_or(default.to_string());
        if !choices.contains(&s.as_str()) {
            let near = nearest_first(&s, choices.iter().map(|c| c.to_string()));
            return Err(self.err(format!(
                "`{}` = \"{s}\" is not one of {}; did you mean \"{}\"?",
                self.key(key),
                choices
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                near.first().map(String::as_str).unwrap_or(default)
            )));
        }
        Ok(s)
    }

    /// A string or a list of strings.
    pub fn strings(&self, key: &str, example: &str) -> Result<Option<Vec<String>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    v => Err(self.wrong(key, v, "a list of strings", example)),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(self.wrong(key, v, "a list of strings", example)),
        }
    }

    /// A list of integers >= 1 (layer widths).
    pub fn widths(&self, key: &str, example: &str) -> Result<Option<Vec<usize>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(n, v)| match v {
                    Value::Integer(i) if *i >= 1 => Ok(*i as usize),
                    Value::Integer(i) => Err(self.err(format!(
                        "`{}` must be a list of integers >= 1; its value {} is {i}; write e.g. \
                         {key} = {example}",
                        self.key(key),
                        n + 1
                    ))),
                    v => Err(self.wrong(key, v, "a list of integers >= 1", example)),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(self.wrong(key, v, "a list of integers >= 1", example)),
        }
    }
}

/// Applies one `--set KEY=VALUE` to the parsed table. VALUE is read as a TOML value
/// (`3e-4`, `[32, 32]`, `"elu"`, `true`); if it is not valid TOML it is taken as a
/// string, so `--set network.activation=elu` works without quotes.
pub(crate) fn apply_set(root: &mut Table, assignment: &str) -> Result<()> {
    let Some((key, value)) = assignment.split_once('=') else {
        return Err(Error::Usage(format!(
            "--set `{assignment}`: expected KEY=VALUE, e.g. --set training.learning_rate=3e-4"
        )));
    };
    let key = key.trim();
    let value = value.trim();
    let parts: Vec<&str> = key.split('.').collect();
    if key.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(Error::Usage(format!(
            "--set `{assignment}`: `{key}` is not a dotted key such as training.epochs"
        )));
    }
    let parsed: Value = match toml::from_str::<Table>(&format!("v = {value}")) {
        Ok(mut t) => t.remove("v").unwrap_or(Value::String(value.to_string())),
        Err(_) => Value::String(value.to_string()),
    };
    let mut table = root;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            table.insert(part.to_string(), parsed);
            return Ok(());
        }
        let entry = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        match entry {
            Value::Table(t) => table = t,
            _ => {
                return Err(Error::Usage(format!(
                    "--set `{assignment}`: `{}` is a value, not a section, so it has no `{}`",
                    parts[..=i].join("."),
                    parts[i + 1]
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn unknown_key_names_path_and_nearest() {
        let t = parse("[training]\nlearning_rat = 1e-3\n");
        let tr = t["training"].as_table().unwrap();
        let s = Section::new("run.toml", "training", tr);
        let e = s
            .check_keys(&["learning_rate", "epochs"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `training.learning_rat`"), "{e}");
        assert!(e.contains("did you mean `training.learning_rate`"), "{e}");
    }

    #[test]
    fn wrong_type_says_what_is_expected() {
        let t = parse("batch_size = \"2048\"\n");
        let s = Section::new("run.toml", "training", &t);
        let e = s.positive("batch_size", 1, "2048").unwrap_err().to_string();
        assert!(e.contains("`training.batch_size` must be an integer, not a string"));
    }

    #[test]
    fn set_parses_toml_values_and_bare_strings() {
        let mut t = parse("[training]\nepochs = 3\n");
        apply_set(&mut t, "training.learning_rate=3e-4").unwrap();
        apply_set(&mut t, "network.hidden=[8, 8]").unwrap();
        apply_set(&mut t, "network.activation=elu").unwrap();
        assert_eq!(t["training"]["learning_rate"].as_float(), Some(3e-4));
        assert_eq!(t["training"]["epochs"].as_integer(), Some(3));
        assert_eq!(t["network"]["hidden"].as_array().map(|a| a.len()), Some(2));
        assert_eq!(t["network"]["activation"].as_str(), Some("elu"));
        let e = apply_set(&mut t, "training.epochs.x=1").unwrap_err();
        assert!(e.to_string().contains("`training.epochs` is a value"));
        assert!(apply_set(&mut t, "nokey").is_err());
    }
}
