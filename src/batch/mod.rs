//! Splitting `apply` across batch jobs: a plan, shards run one per job, their status,
//! and the merge back into one friend per input file (`rootgrad batch`, `apply --shard`).
//!
//! A **plan** ([`Plan`], `DIR/plan.json`) lists every input file of an apply with its
//! identity (size, modification time, the file's UUID), its output and its entries, and
//! cuts the entries into shards. The cuts fall on cluster boundaries (entries where every
//! branch the model reads starts a basket, [`cluster_units`]), and consecutive clusters,
//! in input order, go to shard `floor(N * middle / total)` by the compressed bytes they
//! hold ([`split`]): the shards are contiguous runs of the chain, balanced by bytes to
//! within one cluster. The plan depends only on the inputs, the model and N, so every
//! job computes the same one; its `id` is a digest of its contents.
//!
//! A **shard** ([`shard::run`]) writes, for each piece (one input file's entry range) it
//! holds, a friend of exactly those entries into `DIR/shards/NNNN/`, then its result
//! `DIR/shards/NNNN.json` ([`shard::ShardResult`]): pieces, entries scored, the inputs'
//! identity as seen, timing. [`merge::status`] reads the results; [`merge::merge`] checks
//! that every shard is done and every input unchanged, and writes one friend per input
//! file through the same writer `apply` uses: same values, same bytes.

pub mod folds;
pub mod merge;
pub mod shard;
pub mod submit;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::apply::{plan_jobs, OutputNames};
use crate::data::chunks::ChunkSize;
use crate::data::open_chain;
use crate::model::{ModelFile, Scorer};
use crate::root::write::FriendFormat;
use crate::root::{Chain, RootFile, TreeSpec};
use crate::{Error, Result};

/// The format tag of plan.json.
pub const PLAN_FORMAT: &str = "rootgrad batch plan 1";

/// What a file was when it was planned: a changed input is refused by the shard and by
/// the merge, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub size: u64,
    /// Modification time, seconds and nanoseconds since 1970.
    pub mtime_s: i64,
    pub mtime_ns: u32,
    /// `TUUID::AsString` of the file (none for files too old to record one).
    pub uuid: Option<String>,
}

impl Identity {
    /// The identity of ROOT file `path` now.
    pub fn of(path: &Path) -> Result<Identity> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (mtime_s, mtime_ns) = match meta.modified().map(|t| t.duration_since(UNIX_EPOCH)) {
            Ok(Ok(d)) => (d.as_secs() as i64, d.subsec_nanos()),
            _ => (0, 0),
        };
        let uuid = RootFile::open(path)?.uuid();
        Ok(Identity {
            size: meta.len(),
            mtime_s,
            mtime_ns,
            uuid,
        })
    }

    /// What differs from `planned`, in words; `None` if nothing does. With
    /// `check_time` false (a copy made by file transfer) the time is not compared.
    pub fn differs(&self, planned: &Identity, check_time: bool) -> Option<String> {
        if self.uuid != planned.uuid {
            return Some(format!(
                "it changed after planning: its UUID is {} but was {} (another file)",
                self.uuid.as_deref().unwrap_or("none"),
                planned.uuid.as_deref().unwrap_or("none")
            ));
        }
        if self.size != planned.size {
            return Some(format!(
                "it changed after planning: its size is {} bytes but was {}",
                self.size, planned.size
            ));
        }
        if check_time && (self.mtime_s, self.mtime_ns) != (planned.mtime_s, planned.mtime_ns) {
            return Some("it was modified after planning".into());
        }
        None
    }
}

/// One input file of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// `FILE:TREE` (or `FILE`), the file as an absolute path.
    pub input: String,
    pub file: PathBuf,
    /// Its friends, `FILE:TREE`, absolute.
    pub friends: Vec<String>,
    /// Where `merge` writes its friend.
    pub output: PathBuf,
    pub entries: u64,
    /// Compressed bytes of the branches the model reads.
    pub bytes: u64,
    pub identity: Identity,
}

/// Entries `start..stop` of input `input`, in one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub input: usize,
    pub start: u64,
    pub stop: u64,
    /// Compressed bytes of the branches read, in these entries' clusters.
    pub bytes: u64,
}

/// A batch apply: what to score, how, and which shard scores which entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    /// Digest of everything below (see [`Plan::digest`]).
    pub id: String,
    pub model: PathBuf,
    /// Digest of the model file's bytes.
    pub model_digest: String,
    pub tree_name: String,
    /// The friend's branches: the score, then `<score>_fold<k>` with all folds.
    pub columns: Vec<String>,
    pub all_folds: bool,
    pub inputs: Vec<PlanInput>,
    pub shards: Vec<Vec<Piece>>,
    /// `--friend-format` when given (absent: each friend follows its input, and plans
    /// made before the flag existed keep their id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend_format: Option<FriendFormat>,
}

/// What a plan is made from (the flags of `apply` that matter to it).
pub struct PlanRequest<'a> {
    pub model: &'a Path,
    pub inputs: &'a [String],
    pub friends: &'a [String],
    pub output_dir: Option<&'a Path>,
    pub tree_name: &'a str,
    pub branch: &'a str,
    pub all_folds: bool,
    pub shards: usize,
    pub friend_format: Option<FriendFormat>,
}

/// 64-bit FNV-1a of `bytes`, as 16 hex digits: a digest that is the same on every
/// machine (not a security measure: it tells plans and models apart).
pub fn digest(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|source| Error::Io {
        path: p.to_path_buf(),
        source,
    })
}

/// `FILE[:TREE]` with the file made absolute.
fn absolute_spec(s: &str) -> Result<(String, PathBuf)> {
    let spec = TreeSpec::parse(s);
    let file = absolute(Path::new(&spec.pattern))?;
    let text = match &spec.tree {
        Some(t) => format!("{}:{t}", file.display()),
        None => file.display().to_string(),
    };
    Ok((text, file))
}

impl Plan {
    /// Plans an apply of `req.inputs` in `req.shards` shards (see the module text).
    pub fn make(req: &PlanRequest) -> Result<Plan> {
        if req.shards == 0 {
            return Err(Error::Usage("--shards: give at least 1".into()));
        }
        let model_bytes = std::fs::read(req.model).map_err(|source| Error::Io {
            path: req.model.to_path_buf(),
            source,
        })?;
        let model = ModelFile::read(req.model)?;
        let scorer = Scorer::from_file(&model, req.model)?;
        let mut columns = vec![req.branch.to_string()];
        if req.all_folds {
            columns.extend((0..scorer.models()).map(|k| format!("{}_fold{k}", req.branch)));
        }
        let names = OutputNames {
            output: None,
            output_dir: req.output_dir,
            tree_name: req.tree_name,
        };
        let jobs = plan_jobs(req.inputs, req.friends, &names)?;
        let branches: Vec<String> = scorer
            .exprs()
            .iter()
            .flat_map(|e| e.branches())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut inputs = Vec::new();
        let mut units = Vec::new();
        for (i, j) in jobs.iter().enumerate() {
            let chain = open_chain(std::slice::from_ref(&j.input), &j.friends)?;
            scorer.check(&chain).map_err(|e| match e {
                Error::Usage(m) => Error::Usage(format!("{}: {m}", j.input)),
                e => e,
            })?;
            let (input, file) = absolute_spec(&j.input)?;
            let friends = j
                .friends
                .iter()
                .map(|f| absolute_spec(f).map(|(s, _)| s))
                .collect::<Result<Vec<_>>>()?;
            let mine = cluster_units(&chain, &branches, i);
            inputs.push(PlanInput {
                identity: Identity::of(&file)?,
                input,
                file,
                friends,
                output: absolute(&j.output)?,
                entries: chain.entries(),
                bytes: mine.iter().map(|u| u.bytes).sum(),
            });
            units.extend(mine);
        }
        let mut plan = Plan {
            format: PLAN_FORMAT.into(),
            id: String::new(),
            model: absolute(req.model)?,
            model_digest: digest(&model_bytes),
            tree_name: req.tree_name.to_string(),
            columns,
            all_folds: req.all_folds,
            inputs,
            shards: split(&units, req.shards),
            friend_format: req.friend_format,
        };
        plan.id = plan.digest();
        Ok(plan)
    }

    /// The digest of the plan with its `id` left empty.
    pub fn digest(&self) -> String {
        let mut bare = self.clone();
        bare.id.clear();
        digest(&serde_json::to_vec(&bare).unwrap_or_default())
    }

    /// Reads `path`, refusing a file that is not a plan or was edited.
    pub fn read(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                source.kind(),
                format!(
                    "cannot read the plan: {source}; make one with `rootgrad batch apply` \
                     or `rootgrad apply --shard`"
                ),
            ),
        })?;
        let plan: Plan = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a rootgrad plan: {e}", path.display())))?;
        if plan.format != PLAN_FORMAT {
            return Err(Error::Usage(format!(
                "{}: format `{}`, expected `{PLAN_FORMAT}`",
                path.display(),
                plan.format
            )));
        }
        if plan.digest() != plan.id {
            return Err(Error::Usage(format!(
                "{}: the plan was edited after it was made (its id {} does not match its \
                 contents); make a new one",
                path.display(),
                plan.id
            )));
        }
        Ok(plan)
    }

    /// Writes the plan as `path` (pretty JSON), replacing an older one only with `force`.
    pub fn write(&self, path: &Path, force: bool) -> Result<()> {
        crate::output::write_atomically(path, force, |w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: e.into(),
            })?;
            w.write_all(b"\n").map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
        })
    }

    /// Total entries of shard `k`.
    pub fn shard_entries(&self, k: usize) -> u64 {
        self.shards[k].iter().map(|p| p.stop - p.start).sum()
    }
}

/// A run of whole clusters of one input, with the compressed bytes of the branches read
/// in it: what [`split`] deals out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub input: usize,
    pub entries: Range<u64>,
    pub bytes: u64,
}

/// The clusters of a one-file chain for `branches`: cut where every branch of the
/// chain's own tree among them starts a basket (a TTree flushes every branch at a
/// cluster end, so these are its clusters), each with the bytes on disk of the baskets
/// that start in it. Without such branches (all from friends) the chain is cut every
/// [`ChunkSize::SCORE`] target entries, weighed by entries.
pub fn cluster_units(chain: &Chain, branches: &[String], input: usize) -> Vec<Unit> {
    let n = chain.entries();
    let own: Vec<_> = match chain.trees.first() {
        Some(t) => branches.iter().filter_map(|b| t.branch(b).ok()).collect(),
        None => Vec::new(),
    };
    let mut cuts: Option<BTreeSet<u64>> = None;
    for b in &own {
        let s: BTreeSet<u64> = chain.basket_starts(&b.name).into_iter().collect();
        cuts = Some(match cuts {
            None => s,
            Some(c) => c.intersection(&s).copied().collect(),
        });
    }
    let mut cuts: Vec<u64> = match cuts {
        Some(c) => c.into_iter().filter(|&e| e <= n).collect(),
        None => (0..n).step_by(ChunkSize::SCORE.target as usize).collect(),
    };
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    cuts.dedup();
    let mut units: Vec<Unit> = cuts
        .windows(2)
        .map(|w| Unit {
            input,
            entries: w[0]..w[1],
            bytes: 0,
        })
        .collect();
    for b in &own {
        for k in &b.baskets {
            let at = cuts.partition_point(|&c| c <= k.first).saturating_sub(1);
            if let Some(u) = units.get_mut(at) {
                u.bytes += k.bytes as u64;
            }
        }
    }
    if own.is_empty() {
        for u in &mut units {
            u.bytes = u.entries.end - u.entries.start;
        }
    }
    units
}

/// Deals `units` (in chain order) into `n` shards of consecutive units: unit u goes to
/// shard floor(n * m / total), m the byte position of its middle, so each shard holds
/// within one unit of total/n bytes. Adjacent units of one input in one shard become
/// one piece. Zero-byte units count as one byte.
pub fn split(units: &[Unit], n: usize) -> Vec<Vec<Piece>> {
    let n = n.max(1);
    let weight = |u: &Unit| u.bytes.max(1) as u128;
    let total: u128 = units.iter().map(weight).sum::<u128>().max(1);
    let mut shards: Vec<Vec<Piece>> = vec![Vec::new(); n];
    let mut before: u128 = 0;
    for u in units {
        let w = weight(u);
        let k = ((n as u128 * (2 * before + w)) / (2 * total)).min(n as u128 - 1) as usize;
        before += w;
        let s = &mut shards[k];
        match s.last_mut() {
            Some(p) if p.input == u.input && p.stop == u.entries.start => {
                p.stop = u.entries.end;
                p.bytes += u.bytes;
            }
            _ => s.push(Piece {
                input: u.input,
                start: u.entries.start,
                stop: u.entries.end,
                bytes: u.bytes,
            }),
        }
    }
    shards
}

/// The folder of plan `plan_path`, where the shards write.
pub fn plan_dir(plan_path: &Path) -> PathBuf {
    plan_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// `DIR/shards/NNNN.json`, the result of shard `k`.
pub fn result_path(dir: &Path, k: usize) -> PathBuf {
    dir.join("shards").join(format!("{k:04}.json"))
}

/// `DIR/shards/NNNN`, where shard `k` writes its pieces.
pub fn piece_dir(dir: &Path, k: usize) -> PathBuf {
    dir.join("shards").join(format!("{k:04}"))
}

/// The friend file of one piece, inside its shard's folder.
pub fn piece_name(plan: &Plan, p: &Piece) -> String {
    let stem = plan.inputs[p.input]
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    format!("{:05}-{stem}.{}-{}.root", p.input, p.start, p.stop)
}

/// Parses `I/N` (`--shard`): 0 <= I < N.
pub fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: give I/N, e.g. 3/10 (shard 3 of 10, from 0)"))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: `{i}` is not a whole number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: `{n}` is not a whole number"))?;
    if n == 0 || i >= n {
        return Err(format!(
            "`{s}`: the shard index must be from 0 to N-1 (N = {n})"
        ));
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests;
