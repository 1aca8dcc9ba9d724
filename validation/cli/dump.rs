//! `dump` against the library: JSON Lines and CSV values bit for bit, element picks,
//! entry ranges, with a small exact JSON number reader.

use super::*;

/// A small strict JSON reader (enough for `dump --format json` lines).
struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn parse(line: &str) -> J {
        let mut p = P {
            s: line.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing text in {line}");
        v
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "expected {:?} at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    fn peek(&mut self) -> u8 {
        self.ws();
        *self.s.get(self.i).expect("unexpected end of line")
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let start = self.i;
        while self.s[self.i] != b'"' {
            assert_ne!(self.s[self.i], b'\\', "escapes are not expected here");
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8(self.s[start..self.i - 1].to_vec()).unwrap()
    }

    fn value(&mut self) -> J {
        match self.peek() {
            b'n' => {
                assert_eq!(&self.s[self.i..self.i + 4], b"null");
                self.i += 4;
                J::Null
            }
            b'"' => J::Str(self.string()),
            b'[' => {
                self.eat(b'[');
                let mut v = Vec::new();
                if self.peek() == b']' {
                    self.i += 1;
                    return J::Arr(v);
                }
                loop {
                    v.push(self.value());
                    if self.peek() == b',' {
                        self.i += 1;
                    } else {
                        self.eat(b']');
                        return J::Arr(v);
                    }
                }
            }
            b'{' => {
                self.eat(b'{');
                let mut v = Vec::new();
                loop {
                    let k = self.string();
                    self.eat(b':');
                    v.push((k, self.value()));
                    if self.peek() == b',' {
                        self.i += 1;
                    } else {
                        self.eat(b'}');
                        return J::Obj(v);
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                assert!(self.i > start, "a value expected at {start}");
                J::Num(String::from_utf8(self.s[start..self.i].to_vec()).unwrap())
            }
        }
    }
}

/// How a branch's values print.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Integer,
    Single,
    Double,
}

/// Checks one printed number against the library's value, exactly: integers as
/// integer text, floats as text with an exponent that parses to the same float (f32 for
/// `float` branches, -0 keeping its sign), NaN and the infinities as the JSON strings
/// "NaN", "Infinity", "-Infinity" (docs/cli.md; Python's json and JavaScript's
/// JSON.parse read them, and float()/Number() turn them into the values).
fn same_number(text: Option<&str>, lib: f64, kind: Kind, what: &str) {
    let Some(t) = text else {
        panic!("{what}: printed null for {lib}");
    };
    match t {
        "\"NaN\"" => return assert!(lib.is_nan(), "{what}: printed NaN for {lib}"),
        "\"Infinity\"" => return assert_eq!(lib, f64::INFINITY, "{what}"),
        "\"-Infinity\"" => return assert_eq!(lib, f64::NEG_INFINITY, "{what}"),
        _ => assert!(lib.is_finite(), "{what}: {lib} printed as {t}"),
    }
    match kind {
        Kind::Integer => {
            assert!(
                !t.contains(['.', 'e', 'E']),
                "{what}: integer printed as {t}"
            );
            assert_eq!(t.parse::<i128>().unwrap(), lib as i128, "{what}: {t}");
        }
        Kind::Single => {
            assert!(t.contains('e'), "{what}: {t} has no exponent");
            assert_eq!(
                t.parse::<f32>().unwrap().to_bits(),
                (lib as f32).to_bits(),
                "{what}: {t} vs {lib}"
            )
        }
        Kind::Double => {
            assert!(t.contains('e'), "{what}: {t} has no exponent");
            assert_eq!(
                t.parse::<f64>().unwrap().to_bits(),
                lib.to_bits(),
                "{what}: {t} vs {lib}"
            )
        }
    }
}

/// A CSV cell against the library's value: integers as integer text, floats as text
/// that parses to the same float (f32 for `float` branches; `nan`, `inf`).
fn same_csv(t: Option<&str>, lib: f64, kind: Kind, what: &str) {
    let t = t.expect("a cell");
    match kind {
        Kind::Integer => assert_eq!(t.parse::<i128>().unwrap(), lib as i128, "{what}: {t}"),
        Kind::Single => assert_eq!(
            t.parse::<f32>().unwrap().to_bits(),
            (lib as f32).to_bits(),
            "{what}: {t} vs {lib}"
        ),
        Kind::Double => assert_eq!(
            t.parse::<f64>().unwrap().to_bits(),
            lib.to_bits(),
            "{what}: {t} vs {lib}"
        ),
    }
}

/// The text of a number, or of a string standing for a non-finite one (quotes kept);
/// `None` for null.
fn num(j: &J) -> Option<String> {
    match j {
        J::Num(t) => Some(t.clone()),
        J::Str(s) => Some(format!("\"{s}\"")),
        J::Null => None,
        other => panic!("a number, a string or null expected, got {other:?}"),
    }
}

/// Branches to compare: scalars of each kind (including extremes: subnormals, -0,
/// FLT_MAX, 1e300, +-2^53), a fixed array, a jagged array and its count.
const BRANCHES: &[(&str, Kind)] = &[
    ("b", Kind::Integer),
    ("i8", Kind::Integer),
    ("u16", Kind::Integer),
    ("i64", Kind::Integer),
    ("u64", Kind::Integer),
    ("f32", Kind::Single),
    ("f32w", Kind::Single),
    ("f64", Kind::Double),
    ("f64w", Kind::Double),
    ("arr", Kind::Single),
    ("njf", Kind::Integer),
    ("jf", Kind::Single),
    ("ji", Kind::Integer),
];

fn library(name: &str, a: u64, z: u64) -> Column<f64> {
    let tree = open_tree(&data("codec-zlib.root"), Some("t")).unwrap();
    read_column::<f64>(&tree, name, a..z).unwrap()
}

fn check_json_dump(a: u64, z: u64) {
    let mut list: Vec<String> = BRANCHES.iter().map(|(n, _)| n.to_string()).collect();
    list.extend(["arr[1]", "jf[1]", "ji[0]"].map(String::from));
    let out = ok(&[
        "dump",
        &format!("{}:t", zlib()),
        "-b",
        &list.join(","),
        "--entry-start",
        &a.to_string(),
        "--entry-stop",
        &z.to_string(),
        "--format",
        "json",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() as u64, z - a, "one line per entry");
    let cols: Vec<(String, Kind, Column<f64>)> = BRANCHES
        .iter()
        .map(|&(n, k)| (n.to_string(), k, library(n, a, z)))
        .collect();
    for (k, line) in lines.iter().enumerate() {
        let entry = a + k as u64;
        // valid JSON by serde_json's reading too
        let sj: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(sj["entry"], entry);
        let J::Obj(fields) = P::parse(line) else {
            panic!("not an object: {line}")
        };
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let want_keys: Vec<&str> = std::iter::once("entry")
            .chain(list.iter().map(String::as_str))
            .collect();
        assert_eq!(keys, want_keys, "keys in the order asked");
        let field = |n: &str| &fields.iter().find(|(k, _)| k == n).unwrap().1;
        for (name, kind, col) in &cols {
            let what = format!("entry {entry} {name}");
            let lib = col.entry(k);
            match (&col.layout, field(name)) {
                (Layout::Flat { width: 1 }, j) => {
                    same_number(num(j).as_deref(), lib[0], *kind, &what)
                }
                (_, J::Arr(items)) => {
                    assert_eq!(items.len(), lib.len(), "{what}: length");
                    for (i, (j, &v)) in items.iter().zip(lib).enumerate() {
                        same_number(num(j).as_deref(), v, *kind, &format!("{what}[{i}]"));
                    }
                }
                (_, other) => panic!("{what}: a list expected, got {other:?}"),
            }
        }
        // element picks: the element, or null when the entry has fewer
        for (pick, base, i, kind) in [
            ("arr[1]", "arr", 1, Kind::Single),
            ("jf[1]", "jf", 1, Kind::Single),
            ("ji[0]", "ji", 0, Kind::Integer),
        ] {
            let col = &cols.iter().find(|c| c.0 == base).unwrap().2;
            let what = format!("entry {entry} {pick}");
            match (col.entry(k).get(i), field(pick)) {
                (Some(&v), j @ (J::Num(_) | J::Str(_))) => {
                    same_number(num(j).as_deref(), v, kind, &what)
                }
                (None, J::Null) => {}
                (v, j) => panic!("{what}: library {v:?}, printed {j:?}"),
            }
        }
    }
}

#[test]
fn dump_json_equals_the_library_values() {
    check_json_dump(0, 40);
    check_json_dump(2000, 2062);
    // an entry stop past the end is clamped to the tree
    let out = ok(&[
        "dump",
        &format!("{}:t", zlib()),
        "-b",
        "f64",
        "--entry-start",
        "2060",
        "--entry-stop",
        "999999",
        "--format",
        "json",
    ]);
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn dump_csv_header_and_values() {
    let out = ok(&[
        "dump",
        &zlib(),
        "-b",
        "f64,arr,arr[1],jf,i64",
        "--entry-stop",
        "30",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "entry,f64,arr,arr[1],jf,i64");
    assert_eq!(lines.len(), 31);
    let f64s = library("f64", 0, 30);
    let arr = library("arr", 0, 30);
    let jf = library("jf", 0, 30);
    let i64s = library("i64", 0, 30);
    for (k, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 6, "{line}");
        assert_eq!(cells[0], k.to_string());
        same_csv(Some(cells[1]), f64s.values[k], Kind::Double, line);
        let list = |c: &str| -> Vec<String> {
            let inner = c.strip_prefix('[').and_then(|c| c.strip_suffix(']'));
            let inner = inner.unwrap_or_else(|| panic!("`{c}` is not [a b c]"));
            inner.split_whitespace().map(String::from).collect()
        };
        let a = list(cells[2]);
        assert_eq!(a.len(), 3);
        for (t, &v) in a.iter().zip(arr.entry(k)) {
            same_csv(Some(t), v, Kind::Single, line);
        }
        same_csv(Some(cells[3]), arr.entry(k)[1], Kind::Single, line);
        let j = list(cells[4]);
        assert_eq!(j.len(), jf.entry(k).len(), "{line}");
        for (t, &v) in j.iter().zip(jf.entry(k)) {
            same_csv(Some(t), v, Kind::Single, line);
        }
        same_csv(Some(cells[5]), i64s.values[k], Kind::Integer, line);
    }
    // every readable branch by default, in the tree's order
    let out = ok(&["dump", &zlib(), "--entry-stop", "1"]);
    assert_eq!(
        out.lines().next().unwrap(),
        format!("entry,{}", ALL_BRANCHES.join(","))
    );
}

// ---------------------------------------------------------------------------------
// errors
