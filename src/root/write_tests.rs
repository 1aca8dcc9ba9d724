//! Tests of the friend-tree writer in `write.rs`, kept in a file of their own so the
//! writer stays short enough to read in one sitting. They write real files into fresh
//! temporary folders and read them back with oxyroot's reader, bit for bit; they also
//! pin down every refusal (names, lengths, existing or missing outputs, size) and that
//! no temporary file is ever left behind. `validation/friend_uproot.py` checks the same
//! files with uproot.

use super::*;
use oxyroot::RootFile;
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
    }
}

fn usage(r: Result<()>) -> String {
    match r {
        Err(Error::Usage(msg)) => msg,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

/// Reads every column back with oxyroot's reader and compares bit for bit.
fn assert_reads_back(path: &Path, tree: &str, columns: &[FriendColumn]) {
    let mut f = RootFile::open(path).unwrap();
    let t = f.get_tree(tree).unwrap();
    let n = columns[0].data.len();
    assert_eq!(t.entries(), n as i64);
    for c in columns {
        let b = t.branch(&c.name).unwrap();
        assert_eq!(b.entries(), n as i64, "{}", c.name);
        let got = match &c.data {
            FriendData::F32(_) => FriendData::F32(b.as_iter::<f32>().unwrap().collect()),
            FriendData::F64(_) => FriendData::F64(b.as_iter::<f64>().unwrap().collect()),
            FriendData::I32(_) => FriendData::I32(b.as_iter::<i32>().unwrap().collect()),
            FriendData::I64(_) => FriendData::I64(b.as_iter::<i64>().unwrap().collect()),
            FriendData::Bool(_) => FriendData::Bool(b.as_iter_unchecked::<bool>().collect()),
        };
        assert_eq!(got, c.data, "column {}", c.name);
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
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
    let bytes = fs::read(&out).unwrap();
    // branch TNamed: "flag" then "flag/O"; leaf TNamed: "flag" then "flag"
    assert_eq!(count(&bytes, b"\x04flag\x06flag/O"), 1);
    assert_eq!(count(&bytes, b"\x04flag\x06flag/B"), 0);
    assert_eq!(count(&bytes, b"\x04flag\x04flag"), 1);
    // the class tag of the leaf in the TTree record (oxyroot writes no streamer info
    // for the leaf classes; ROOT and uproot have them built in)
    assert_eq!(count(&bytes, b"TLeafO"), 1);
    assert_eq!(count(&bytes, b"\x01x\x03x/F"), 1, "other titles untouched");
    assert_reads_back(&out, "rootgrad", &columns);
}

#[test]
fn bool_fix_finds_its_branch_when_names_overlap() {
    let dir = TestDir::new("bool-overlap");
    let out = dir.join("b.root");
    let columns = vec![
        col("B", FriendData::Bool(vec![true])),
        col("B_B", FriendData::Bool(vec![false])),
        col("BB", FriendData::I32(vec![1])),
    ];
    write_friend(&spec(&out, &columns)).unwrap();
    let bytes = fs::read(&out).unwrap();
    assert_eq!(count(&bytes, b"\x01B\x03B/O"), 1);
    assert_eq!(count(&bytes, b"\x03B_B\x05B_B/O"), 1);
    assert_eq!(count(&bytes, b"\x02BB\x04BB/I"), 1);
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
    let mut f = RootFile::open(&out).unwrap();
    assert_eq!(f.get_tree("rootgrad").unwrap().entries(), 0);
}

#[test]
fn basket_boundaries_read_back() {
    // 4095 doubles fill one basket exactly, leaving an empty last basket
    let dir = TestDir::new("baskets");
    for n in [4094, 4095, 4096, 8191, 32767, 32768] {
        let out = dir.join(&format!("n{n}.root"));
        let columns = all_types(n);
        write_friend(&spec(&out, &columns)).unwrap();
        assert_reads_back(&out, "rootgrad", &columns);
    }
}

#[test]
fn estimated_size_bounds_the_real_size_closely() {
    let dir = TestDir::new("size");
    for n in [0, 1, 4095, 100_000, 1_000_003] {
        let out = dir.join(&format!("n{n}.root"));
        let columns = all_types(n);
        write_friend(&spec(&out, &columns)).unwrap();
        let real = fs::metadata(&out).unwrap().len();
        let est = estimated_size(&columns);
        assert!(est >= real, "n={n}: estimate {est} < real {real}");
        assert!(
            est <= real + real / 100 + 64 * 1024,
            "n={n}: estimate {est} too far above real {real}"
        );
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
fn too_large_is_refused_before_writing() {
    let dir = TestDir::new("large");
    let out = dir.join("f.root");
    let columns = all_types(100_000);
    let limit = estimated_size(&columns) - 1;
    let msg = usage(write_friend_with(&spec(&out, &columns), limit, publish));
    assert!(msg.contains("32-bit"), "{msg}");
    assert!(msg.contains("split the input into several files"), "{msg}");
    assert!(dir.names().is_empty());
    // the real limit is oxyroot's kStartBigFile
    assert_eq!(MAX_FILE_BYTES, 2_000_000_000);
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
    let r = write_friend_with(&spec(&out, &columns), MAX_FILE_BYTES, failing_publish);
    assert!(matches!(r, Err(Error::Io { .. })));
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
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
fn stream_checks_names_and_size_before_calling_the_producer() {
    let dir = TestDir::new("stream-checks");
    let out = dir.join("f.root");
    let never = || -> Chunk { panic!("the producer must not be called") };
    let bad = vec![StreamColumn {
        name: "1x".into(),
        kind: FriendType::F32,
    }];
    let msg = usage(write_friend_stream(&stream(&out, &bad, 5), never));
    assert!(msg.contains("`1x`"), "{msg}");
    let good = vec![StreamColumn {
        name: "score".into(),
        kind: FriendType::F32,
    }];
    let limit = stream_size(&good, 1_000_000) - 1;
    let msg = usage(write_stream_with(
        &stream(&out, &good, 1_000_000),
        never,
        limit,
        publish,
    ));
    assert!(msg.contains("more than the"), "{msg}");
    assert!(dir.names().is_empty(), "left behind: {:?}", dir.names());
}

#[test]
fn panics_become_errors() {
    match guarded(|| -> std::result::Result<(), OxyFailure> { panic!("boom {}", 7) }) {
        Err(OxyFailure::Other(m)) => assert_eq!(m, "oxyroot panicked: boom 7"),
        _ => panic!("panic not caught"),
    }
    match guarded(|| -> std::result::Result<(), OxyFailure> { panic!("static") }) {
        Err(OxyFailure::Other(m)) => assert_eq!(m, "oxyroot panicked: static"),
        _ => panic!("panic not caught"),
    }
}

#[test]
fn oxyroot_io_errors_become_io_errors() {
    #[derive(Debug)]
    #[allow(dead_code)]
    enum Fake {
        Io(std::io::Error),
    }
    let e = Fake::Io(std::io::Error::from_raw_os_error(28));
    match oxyroot_failure(e) {
        OxyFailure::Io(e) => assert_eq!(e.raw_os_error(), Some(28)),
        OxyFailure::Other(m) => panic!("not recognised: {m}"),
        OxyFailure::Producer(e) => panic!("not a producer error: {e}"),
    }
    match oxyroot_failure("NameContainsSlash(\"a/b\")") {
        OxyFailure::Other(m) => assert!(m.contains("NameContainsSlash")),
        OxyFailure::Io(e) => panic!("misread as io: {e}"),
        OxyFailure::Producer(e) => panic!("not a producer error: {e}"),
    }
}

#[test]
fn type_names_and_lengths() {
    let c = all_types(7);
    let names: Vec<&str> = c.iter().map(|c| c.data.type_name()).collect();
    assert_eq!(names, ["float", "double", "int32_t", "int64_t", "bool"]);
    assert!(c.iter().all(|c| c.data.len() == 7 && !c.data.is_empty()));
    assert!(FriendData::Bool(vec![]).is_empty());
}
