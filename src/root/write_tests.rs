//! Tests of the friend-tree writer in `write.rs`, kept in a file of their own so the
//! writer stays short enough to read in one sitting. They write real files into fresh
//! temporary folders and read them back with rootgrad's reader, value for value; they
//! also pin down every refusal (names, lengths, existing or missing outputs) and that no
//! temporary file is ever left behind. `validation/friend_uproot.py` and
//! `validation/friend_root.py` check the same files with uproot and ROOT.

use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh folder under the system temp dir, removed when dropped.
struct TestDir(PathBuf);

impl TestDir {
    fn new(name: &str) -> TestDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rootgrad-write-test-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Every file name in the folder, sorted (temporary files included).
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn col(name: &str, data: FriendData) -> FriendColumn {
    FriendColumn {
        name: name.to_string(),
        data,
    }
}

/// One column of each type, n entries, values that are awkward for a writer:
/// negatives, fractions, huge magnitudes, integers past 2^31.
fn all_types(n: usize) -> Vec<FriendColumn> {
    vec![
        col(
            "score",
            FriendData::F32((0..n).map(|i| i as f32 * 0.25 - 7.5).collect()),
        ),
        col(
            "logit",
            FriendData::F64((0..n).map(|i| (i as f64 - 3.0) / 7.0 * 1e200).collect()),
        ),
        col(
            "fold",
            FriendData::I32((0..n).map(|i| i as i32 * 37 - 1000).collect()),
        ),
        col(
            "event",
            FriendData::I64((0..n).map(|i| (i as i64 - 5) * 4_294_967_311).collect()),
        ),
        col(
            "selected",
            FriendData::Bool((0..n).map(|i| i % 3 == 0).collect()),
        ),
    ]
}

fn spec<'a>(path: &'a Path, columns: &'a [FriendColumn]) -> FriendSpec<'a> {
    FriendSpec {
        path,
        tree: "rootgrad",
        columns,
        expected_entries: None,
        overwrite: false,
        source: None,
    }
}

fn usage(r: Result<()>) -> String {
    match r {
        Err(Error::Usage(msg)) => msg,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

/// Reads every column back with rootgrad's reader and compares every value (as f64,
/// exact for these values) and each leaf's class. uproot and ROOT read the same files
/// in `validation/friend_uproot.py` and `validation/friend_root.py`.
fn assert_reads_back(path: &Path, tree: &str, columns: &[FriendColumn]) {
    let t = crate::root::chain::open_tree(path, Some(tree)).unwrap();
    let n = columns[0].data.len();
    assert_eq!(t.entries, n as u64);
    for c in columns {
        let b = t.branch(&c.name).unwrap();
        let class = match c.data.kind() {
            FriendType::F32 => "TLeafF",
            FriendType::F64 => "TLeafD",
            FriendType::I32 => "TLeafI",
            FriendType::I64 => "TLeafL",
            FriendType::Bool => "TLeafO",
        };
        assert_eq!(b.leaves[0].class, class, "{}", c.name);
        let got = crate::root::read::read_column::<f64>(&t, &c.name, 0..n as u64).unwrap();
        let want: Vec<f64> = match &c.data {
            FriendData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            FriendData::F64(v) => v.clone(),
            FriendData::I32(v) => v.iter().map(|&x| x as f64).collect(),
            FriendData::I64(v) => v.iter().map(|&x| x as f64).collect(),
            FriendData::Bool(v) => v.iter().map(|&x| x as u8 as f64).collect(),
        };
        assert!(got.values == want, "column {} differs", c.name);
    }
}

#[test]
fn writes_every_type_and_reads_back_bit_exact() {
    let dir = TestDir::new("types");
    let out = dir.join("friend.root");
    let columns = all_types(20_000);
    write_friend(&FriendSpec {
        expected_entries: Some(20_000),
        ..spec(&out, &columns)
    })
    .unwrap();
    assert_eq!(dir.names(), ["friend.root"], "no temporary file left");
    assert_reads_back(&out, "rootgrad", &columns);
}

#[test]
fn bool_branch_title_is_name_slash_o_and_leaf_is_tleafo() {
    let dir = TestDir::new("bool");
    let out = dir.join("b.root");
    let columns = vec![
        col("flag", FriendData::Bool(vec![true, false, true])),
        col("x", FriendData::F32(vec![1.0, 2.0, 3.0])),
    ];
    write_friend(&spec(&out, &columns)).unwrap();
    // the TTree record is compressed: read the titles back through the reader
    let t = crate::root::chain::open_tree(&out, Some("rootgrad")).unwrap();
    let flag = t.branch("flag").unwrap();
    assert_eq!(flag.title, "flag/O");
    assert_eq!(
        (flag.leaves[0].name.as_str(), flag.leaves[0].title.as_str()),
        ("flag", "flag")
    );
    assert_eq!(flag.leaves[0].len_type, 1);
    assert_eq!(t.branch("x").unwrap().title, "x/F");
    assert_reads_back(&out, "rootgrad", &columns);
}

#[test]
fn zero_entries_write_an_empty_tree() {
    let dir = TestDir::new("empty");
    let out = dir.join("empty.root");
    let columns = all_types(0);
    write_friend(&FriendSpec {
        expected_entries: Some(0),
        ..spec(&out, &columns)
    })
    .unwrap();
    let t = crate::root::chain::open_tree(&out, Some("rootgrad")).unwrap();
    assert_eq!(t.entries, 0);
}

#[test]
fn basket_boundaries_read_back() {
    // ENTRIES_PER_BASKET entries fill one basket exactly
    let dir = TestDir::new("baskets");
    let b = ENTRIES_PER_BASKET;
    for n in [1, b - 1, b, b + 1, 2 * b, 3 * b + 5] {
        let out = dir.join(&format!("n{n}.root"));
        let columns = all_types(n);
        write_friend(&spec(&out, &columns)).unwrap();
        assert_reads_back(&out, "rootgrad", &columns);
    }
}

#[test]
fn no_columns_is_refused() {
    let dir = TestDir::new("nocols");
    let out = dir.join("f.root");
    let msg = usage(write_friend(&spec(&out, &[])));
    assert!(msg.contains("no columns"), "{msg}");
    assert!(dir.names().is_empty());
}

#[test]
fn bad_column_names_are_refused_naming_the_column() {
    let dir = TestDir::new("names");
    let out = dir.join("f.root");
    let long = "x".repeat(MAX_NAME_LEN + 1);
    for (name, why) in [
        ("", "empty"),
        ("1score", "starts with a digit"),
        ("score-2", "contains '-'"),
        ("s.core", "contains '.'"),
        ("sc ore", "contains ' '"),
        ("scöre", "contains 'ö'"),
        (long.as_str(), "bytes long"),
    ] {
        let columns = vec![col(name, FriendData::F32(vec![1.0]))];
        let msg = usage(write_friend(&spec(&out, &columns)));
        assert!(msg.contains(&format!("`{name}`")), "{msg}");
        assert!(msg.contains(why), "{name:?}: {msg}");
    }
    for good in ["_x", "Score2", "B_DTF_M", "x"] {
        let columns = vec![col(good, FriendData::F32(vec![1.0]))];
        let out = dir.join(&format!("{good}.root"));
        write_friend(&spec(&out, &columns)).unwrap();
    }
}

#[test]
fn duplicate_columns_are_refused() {
    let dir = TestDir::new("dup");
    let out = dir.join("f.root");
    let columns = vec![
        col("score", FriendData::F32(vec![1.0])),
        col("w", FriendData::F64(vec![1.0])),
        col("score", FriendData::I32(vec![1])),
    ];
    let msg = usage(write_friend(&spec(&out, &columns)));
    assert!(
        msg.contains("`score`") && msg.contains("columns 1 and 3"),
        "{msg}"
    );
    assert!(dir.names().is_empty());
}

#[test]
fn bad_tree_name_is_refused() {
    let dir = TestDir::new("tree");
    let out = dir.join("f.root");
    let columns = all_types(3);
    for tree in ["", "my tree", "9t", "dir/tree"] {
        let msg = usage(write_friend(&FriendSpec {
            tree,
            ..spec(&out, &columns)
        }));
        assert!(msg.contains("friend tree name") && msg.contains(&format!("`{tree}`")));
    }
    assert!(dir.names().is_empty());
}

#[test]
fn unequal_lengths_are_refused() {
    let dir = TestDir::new("len");
    let out = dir.join("f.root");
    let columns = vec![
        col("a", FriendData::F32(vec![1.0; 4])),
        col("b", FriendData::Bool(vec![true; 5])),
    ];
    let msg = usage(write_friend(&spec(&out, &columns)));
    assert!(
        msg.contains("`b` has 5 entries") && msg.contains("`a` has 4"),
        "{msg}"
    );
    assert!(dir.names().is_empty());
}

#[test]
fn length_must_match_the_source_tree() {
    let dir = TestDir::new("expected");
    let out = dir.join("f.root");
    let columns = vec![col("score", FriendData::F32(vec![0.5; 999]))];
    let msg = usage(write_friend(&FriendSpec {
        expected_entries: Some(1000),
        ..spec(&out, &columns)
    }));
    assert!(msg.contains("`score` has 999 entries"), "{msg}");
    assert!(msg.contains("has 1000"), "{msg}");
    assert!(msg.contains("one entry per entry"), "{msg}");
    assert!(dir.names().is_empty());
}

#[test]
fn existing_output_is_kept_unless_overwrite() {
    let dir = TestDir::new("exists");
    let out = dir.join("f.root");
    fs::write(&out, b"precious").unwrap();
    let columns = all_types(10);
    match write_friend(&spec(&out, &columns)) {
        Err(Error::OutputExists { path }) => assert_eq!(path, out),
        other => panic!("expected OutputExists, got {other:?}"),
    }
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    assert_eq!(dir.names(), ["f.root"]);

    write_friend(&FriendSpec {
        overwrite: true,
        ..spec(&out, &columns)
    })
    .unwrap();
    assert_reads_back(&out, "rootgrad", &columns);
    assert_eq!(dir.names(), ["f.root"]);
}

#[test]
fn missing_folder_is_an_io_error_naming_it() {
    let dir = TestDir::new("nofolder");
    let folder = dir.join("not/there");
    let out = folder.join("f.root");
    let columns = all_types(1);
    match write_friend(&spec(&out, &columns)) {
        Err(e @ Error::Io { .. }) => {
            let Error::Io { path, .. } = &e else {
                unreachable!()
            };
            assert_eq!(path, &folder);
            assert!(e.to_string().contains("does not exist"), "{e}");
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(!folder.exists());
}

#[test]
fn folder_as_output_is_refused() {
    let dir = TestDir::new("isdir");
    fs::create_dir(dir.join("out")).unwrap();
    let out = dir.join("out");
    let columns = all_types(1);
    for overwrite in [false, true] {
        let msg = usage(write_friend(&FriendSpec {
            overwrite,
            ..spec(&out, &columns)
        }));
        assert!(msg.contains("is a folder"), "{msg}");
    }
}

#[cfg(unix)]
#[test]
fn read_only_folder_is_an_io_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new("readonly");
    let folder = dir.join("ro");
    fs::create_dir(&folder).unwrap();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o555)).unwrap();
    let out = folder.join("f.root");
    let columns = all_types(1);
    let r = write_friend(&spec(&out, &columns));
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
    // root may write anywhere; then the write simply succeeds
    match r {
        Ok(()) => assert_reads_back(&out, "rootgrad", &columns),
        Err(Error::Io { path, .. }) => assert_eq!(path, folder),
        Err(e) => panic!("expected Io, got {e:?}"),
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_path_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TestDir::new("utf8");
    let out = dir.0.join(std::ffi::OsStr::from_bytes(b"f\xff.root"));
    let columns = all_types(1);
    let msg = usage(write_friend(&spec(&out, &columns)));
    assert!(msg.contains("UTF-8"), "{msg}");
    assert!(dir.names().is_empty());
}

#[test]
fn failure_after_writing_leaves_no_file() {
    fn failing_publish(_: &Path, path: &Path, _: bool) -> Result<()> {
        Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("injected"),
        })
    }
    let dir = TestDir::new("fail");
    let out = dir.join("f.root");
    let columns = all_types(5000);
    for format in [FriendFormat::TTree, FriendFormat::RNTuple] {
        let r = write_friend_with(&spec(&out, &columns), format, failing_publish);
        assert!(matches!(r, Err(Error::Io { .. })));
        assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
    }
}

/// The announced columns of `columns`.
fn kinds(columns: &[FriendColumn]) -> Vec<StreamColumn> {
    columns
        .iter()
        .map(|c| StreamColumn {
            name: c.name.clone(),
            kind: c.data.kind(),
        })
        .collect()
}

fn stream<'a>(path: &'a Path, columns: &'a [StreamColumn], entries: u64) -> FriendStream<'a> {
    FriendStream {
        path,
        tree: "rootgrad",
        columns,
        entries,
        overwrite: false,
        source: None,
    }
}

/// A producer giving `columns` in chunks of the lengths in `sizes` (cycled).
fn chunks_of<'a>(
    columns: &'a [FriendColumn],
    sizes: &[usize],
) -> impl FnMut() -> Chunk + Send + 'a {
    let n = columns[0].data.len();
    let (mut at, mut k) = (0usize, 0usize);
    let sizes = sizes.to_vec();
    move || {
        if at >= n {
            return Ok(None);
        }
        let end = (at + sizes[k % sizes.len()]).min(n);
        k += 1;
        let chunk = columns.iter().map(|c| c.data.slice(at..end)).collect();
        at = end;
        Ok(Some(chunk))
    }
}

#[test]
fn streamed_and_whole_column_files_are_byte_identical() {
    // The file records its own path, so both are written to the same path in turn.
    let dir = TestDir::new("stream-bytes");
    let out = dir.join("f.root");
    // past several baskets of every type, and not a multiple of any chunk size
    let columns = all_types(3 * FEED_CHUNK / 2 + 40_001);
    let n = columns[0].data.len() as u64;
    write_friend(&spec(&out, &columns)).unwrap();
    let whole = fs::read(&out).unwrap();
    let announced = kinds(&columns);
    for sizes in [vec![1000], vec![7, 65_536, 12_345], vec![n as usize]] {
        fs::remove_file(&out).unwrap();
        write_friend_stream(&stream(&out, &announced, n), chunks_of(&columns, &sizes)).unwrap();
        assert!(
            fs::read(&out).unwrap() == whole,
            "bytes differ, chunks {sizes:?}"
        );
    }
    assert_reads_back(&out, "rootgrad", &columns);
}

#[test]
fn producer_error_mid_file_leaves_no_output_and_no_temporary_file() {
    let dir = TestDir::new("stream-fail");
    let out = dir.join("f.root");
    let columns = all_types(50_000);
    let announced = kinds(&columns);
    let mut inner = chunks_of(&columns, &[10_000]);
    let mut calls = 0;
    let failing = move || {
        calls += 1;
        if calls == 3 {
            return Err(Error::Usage("entry 20000: bad value".into()));
        }
        inner()
    };
    let msg = usage(write_friend_stream(
        &stream(&out, &announced, 50_000),
        failing,
    ));
    assert_eq!(msg, "entry 20000: bad value");
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
}

#[test]
fn producer_panic_becomes_an_error_and_leaves_nothing() {
    let dir = TestDir::new("stream-panic");
    let out = dir.join("f.root");
    let columns = all_types(10);
    let announced = kinds(&columns);
    let r = write_friend_stream(&stream(&out, &announced, 10), || -> Chunk {
        panic!("producer bug")
    });
    match r {
        Err(Error::Root { msg, .. }) => assert!(msg.contains("producer bug"), "{msg}"),
        other => panic!("expected a root error, got {other:?}"),
    }
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
}

#[test]
fn producer_giving_the_wrong_shape_is_refused_and_leaves_nothing() {
    let dir = TestDir::new("stream-shape");
    let out = dir.join("f.root");
    let columns = all_types(1000);
    let announced = kinds(&columns);
    let root_msg = |r: Result<()>| match r {
        Err(Error::Root { msg, .. }) => msg,
        other => panic!("expected a root error, got {other:?}"),
    };
    // fewer entries than announced
    let msg = root_msg(write_friend_stream(
        &stream(&out, &announced, 1001),
        chunks_of(&columns, &[300]),
    ));
    assert!(msg.contains("ended after 1000 entries, but 1001"), "{msg}");
    // more
    let msg = root_msg(write_friend_stream(
        &stream(&out, &announced, 999),
        chunks_of(&columns, &[300]),
    ));
    assert!(msg.contains("run past the 999 entries"), "{msg}");
    // wrong type in one column
    let mut swapped = kinds(&columns);
    swapped[0].kind = FriendType::F64;
    let msg = root_msg(write_friend_stream(
        &stream(&out, &swapped, 1000),
        chunks_of(&columns, &[300]),
    ));
    assert!(
        msg.contains("column `score` got a chunk of 300 float values"),
        "{msg}"
    );
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
}

#[test]
fn stream_checks_names_before_calling_the_producer() {
    let dir = TestDir::new("stream-checks");
    let out = dir.join("f.root");
    let never = || -> Chunk { panic!("the producer must not be called") };
    let bad = vec![StreamColumn {
        name: "1x".into(),
        kind: FriendType::F32,
    }];
    let msg = usage(write_friend_stream(&stream(&out, &bad, 5), never));
    assert!(msg.contains("`1x`"), "{msg}");
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
}

#[test]
fn type_names_and_lengths() {
    let c = all_types(7);
    let names: Vec<&str> = c.iter().map(|c| c.data.type_name()).collect();
    assert_eq!(names, ["float", "double", "int32_t", "int64_t", "bool"]);
    assert!(c.iter().all(|c| c.data.len() == 7 && !c.data.is_empty()));
    assert!(FriendData::Bool(vec![]).is_empty());
}

/// The source record: written as a `TNamed` key, read back by [`FriendSource::of_file`]
/// and by the file's own key list; a friend written without one has none.
#[test]
fn source_record_is_written_and_read_back() {
    use crate::root::provenance::{FriendSource, SourceTree};
    let dir = TestDir::new("source");
    let out = dir.join("f.root");
    let columns = all_types(10);
    let long_path = format!("/data/{}/probes_0.root", "x".repeat(300));
    let record = FriendSource {
        format: "rootgrad friend source 1".into(),
        sources: vec![SourceTree {
            file: long_path,
            tree: "Events".into(),
            entries: 10,
            uuid: Some("12345678-9abc-def0-1234-56789abcdef0".into()),
            fingerprint: "00000000deadbeef".into(),
        }],
    };
    write_friend(&FriendSpec {
        source: Some(&record),
        ..spec(&out, &columns)
    })
    .unwrap();
    let f = crate::root::RootFile::open(&out).unwrap();
    assert_eq!(FriendSource::of_file(&f).unwrap(), Some(record));
    assert_reads_back(&out, "rootgrad", &columns);
    let plain = dir.join("g.root");
    write_friend(&spec(&plain, &columns)).unwrap();
    let g = crate::root::RootFile::open(&plain).unwrap();
    assert_eq!(FriendSource::of_file(&g).unwrap(), None);
}

/// Reading range by range through baskets longer than the ranges: the values equal one
/// whole read, each basket read in part is kept (once per branch) until its last entry
/// is read, and nothing is kept at the end (`read::PartialBaskets`).
#[test]
fn ranges_inside_baskets_read_each_basket_once_and_right() {
    let dir = TestDir::new("partial");
    let out = dir.join("f.root");
    let n = 2 * ENTRIES_PER_BASKET + 1234;
    let columns = all_types(n);
    write_friend(&spec(&out, &columns)).unwrap();
    let t = crate::root::chain::open_tree(&out, Some("rootgrad")).unwrap();
    let whole = crate::root::read::read_column::<f64>(&t, "logit", 0..n as u64).unwrap();
    let kept = |t: &crate::root::Tree| t.partial.kept.lock().unwrap().len();
    let mut got = Vec::new();
    let step = 10_000u64;
    let mut at = 0u64;
    while at < n as u64 {
        let end = (at + step).min(n as u64);
        for c in &columns {
            let col = crate::root::read::read_column::<f64>(&t, &c.name, at..end).unwrap();
            if c.name == "logit" {
                got.extend(col.values);
            }
        }
        // a range ending inside a basket keeps that basket, one per branch
        let inside = end % ENTRIES_PER_BASKET as u64 != 0 && end < n as u64;
        assert_eq!(
            kept(&t),
            if inside { columns.len() } else { 0 },
            "after {end}"
        );
        at = end;
    }
    assert!(got == whole.values);
    assert_eq!(kept(&t), 0);
}
