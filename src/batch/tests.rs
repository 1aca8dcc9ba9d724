use super::*;

fn units(sizes: &[(usize, u64, u64)]) -> Vec<Unit> {
    // (input, entries, bytes) per cluster, clusters of one input consecutive
    let mut out = Vec::new();
    let mut at: Vec<u64> = vec![0; 8];
    for &(input, n, bytes) in sizes {
        out.push(Unit {
            input,
            entries: at[input]..at[input] + n,
            bytes,
        });
        at[input] += n;
    }
    out
}

/// Every unit's entries in exactly one shard, in chain order, pieces cut only at unit
/// (cluster) boundaries.
fn check_cover(u: &[Unit], shards: &[Vec<Piece>]) {
    let pieces: Vec<&Piece> = shards.iter().flatten().collect();
    let mut bounds: Vec<(usize, u64)> = u.iter().map(|x| (x.input, x.entries.start)).collect();
    bounds.extend(u.iter().map(|x| (x.input, x.entries.end)));
    let mut want = u.iter();
    for p in &pieces {
        assert!(bounds.contains(&(p.input, p.start)) && bounds.contains(&(p.input, p.stop)));
        let mut at = p.start;
        while at < p.stop {
            let x = want.next().expect("a piece past the last unit");
            assert_eq!((x.input, x.entries.start), (p.input, at));
            at = x.entries.end;
        }
        assert_eq!(at, p.stop);
    }
    assert!(want.next().is_none(), "a unit in no shard");
}

#[test]
fn shards_cover_every_cluster_once_in_order() {
    let u = units(&[
        (0, 100, 50),
        (0, 100, 70),
        (0, 30, 10),
        (1, 200, 300),
        (2, 10, 5),
        (2, 10, 5),
        (2, 10, 5),
    ]);
    for n in 1..10 {
        let s = split(&u, n);
        assert_eq!(s.len(), n);
        check_cover(&u, &s);
    }
}

#[test]
fn shards_are_balanced_by_bytes_within_one_cluster() {
    // 1000 clusters of uneven sizes over 5 inputs
    let mut rng = crate::random::SplitMix64::new(&[7]);
    let sizes: Vec<(usize, u64, u64)> = (0..1000)
        .map(|i| (i / 200, 1000, 1 + (rng.uniform() * 5000.0) as u64))
        .collect();
    let u = units(&sizes);
    let total: u64 = u.iter().map(|x| x.bytes).sum();
    let biggest = u.iter().map(|x| x.bytes).max().unwrap();
    for n in [1, 2, 3, 7, 16, 64] {
        let s = split(&u, n);
        check_cover(&u, &s);
        for (k, shard) in s.iter().enumerate() {
            let b: u64 = shard.iter().map(|p| p.bytes).sum();
            let ideal = total as f64 / n as f64;
            assert!(
                (b as f64 - ideal).abs() <= biggest as f64,
                "n {n} shard {k}: {b} bytes, ideal {ideal}, biggest cluster {biggest}"
            );
        }
    }
}

#[test]
fn the_plan_is_a_function_of_its_inputs() {
    let u = units(&[(0, 10, 3), (0, 10, 9), (1, 5, 1), (1, 5, 100), (1, 5, 2)]);
    assert_eq!(split(&u, 3), split(&u.clone(), 3));
    // more shards than clusters: some are empty, all clusters still covered once
    let s = split(&u, 12);
    check_cover(&u, &s);
    assert!(s.iter().any(|x| x.is_empty()));
    // zero bytes everywhere: dealt by count
    let z = units(&[(0, 10, 0), (0, 10, 0), (0, 10, 0), (0, 10, 0)]);
    let s = split(&z, 2);
    assert_eq!(s[0].iter().map(|p| p.stop - p.start).sum::<u64>(), 20);
    assert!(split(&[], 3).iter().all(|s| s.is_empty()));
}

#[test]
fn shard_flags_are_checked() {
    assert_eq!(parse_shard("3/10"), Ok((3, 10)));
    assert_eq!(parse_shard("0/1"), Ok((0, 1)));
    for bad in ["10/10", "3", "a/2", "1/0", "-1/3"] {
        assert!(parse_shard(bad).is_err(), "{bad}");
    }
}

#[test]
fn identities_name_what_changed() {
    let a = Identity {
        size: 10,
        mtime_s: 5,
        mtime_ns: 1,
        uuid: Some("u".into()),
    };
    assert_eq!(a.differs(&a.clone(), true), None);
    let later = Identity {
        mtime_s: 6,
        ..a.clone()
    };
    assert!(later.differs(&a, true).unwrap().contains("modified"));
    assert_eq!(later.differs(&a, false), None);
    let bigger = Identity {
        size: 11,
        ..a.clone()
    };
    assert!(bigger.differs(&a, false).unwrap().contains("size"));
    let other = Identity {
        uuid: Some("v".into()),
        ..a.clone()
    };
    assert!(other.differs(&a, false).unwrap().contains("UUID"));
}
