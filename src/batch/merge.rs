//! The state of a plan's shards ([`status`]) and the merge of their pieces into one
//! friend per input file ([`merge`]).

use std::path::{Path, PathBuf};

use super::shard::{read_result, ShardResult};
use super::{plan_dir, result_path, Identity, Plan};
use crate::output::remove_stale_temps;
use crate::root::provenance::FriendSource;
use crate::root::write::{
    write_friend_stream_as, FriendData, FriendFormat, FriendStream, FriendType, StreamColumn,
};
use crate::root::{Chain, TreeSpec};
use crate::{Error, Result};

/// Where one shard is.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Its result and every piece it names are there.
    Done(Box<ShardResult>),
    /// It ended with an error (the message), or its result names a missing piece.
    Failed(String),
    /// It started (on `host`, as `pid`) and left no result: still running, or killed.
    Started { host: String, pid: u32, alive: bool },
    /// It never started (or its files were removed).
    Missing,
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::Done(_) => "done",
            State::Failed(_) => "failed",
            State::Started { alive: true, .. } => "running",
            State::Started { .. } => "killed",
            State::Missing => "missing",
        }
    }
}

/// The state of every shard of the plan `DIR/plan.json`, in shard order. A result file
/// of another plan is an error naming it.
pub fn status(plan_path: &Path) -> Result<(Plan, Vec<State>)> {
    let plan = Plan::read(plan_path)?;
    let dir = plan_dir(plan_path);
    let mut out = Vec::with_capacity(plan.shards.len());
    for k in 0..plan.shards.len() {
        out.push(state_of(&plan, &dir, k)?);
    }
    Ok((plan, out))
}

fn state_of(plan: &Plan, dir: &Path, k: usize) -> Result<State> {
    let shards = dir.join("shards");
    let res = result_path(dir, k);
    if res.exists() {
        let r = read_result(&res, plan)?;
        if let Some(p) = r.pieces.iter().find(|p| !dir.join(&p.output).exists()) {
            return Ok(State::Failed(format!(
                "its piece {} is missing",
                dir.join(&p.output).display()
            )));
        }
        return Ok(State::Done(Box::new(r)));
    }
    if let Ok(msg) = std::fs::read_to_string(shards.join(format!("{k:04}.failed"))) {
        return Ok(State::Failed(msg.trim().to_string()));
    }
    if let Ok(text) = std::fs::read_to_string(shards.join(format!("{k:04}.started"))) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let host = v["host"].as_str().unwrap_or("").to_string();
        let pid = v["pid"].as_u64().unwrap_or(0) as u32;
        let this_host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        // A process on another host cannot be checked from here: call it running.
        let alive = host != this_host || crate::output::process_alive(pid);
        return Ok(State::Started { host, pid, alive });
    }
    Ok(State::Missing)
}

/// The shards that are not done, in order.
pub fn not_done(states: &[State]) -> Vec<usize> {
    (0..states.len())
        .filter(|&k| !matches!(states[k], State::Done(_)))
        .collect()
}

/// Merges the shards of `DIR/plan.json` into each input's friend (where the plan says);
/// refuses, naming them, while a shard is not done or an input changed since planning,
/// and writes nothing then. Returns the outputs with their entry counts.
pub fn merge(plan_path: &Path, force: bool) -> Result<Vec<(PathBuf, u64)>> {
    let (plan, states) = status(plan_path)?;
    let dir = plan_dir(plan_path);
    let missing = not_done(&states);
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|&k| match &states[k] {
                State::Failed(m) => format!("{k} (failed: {m})"),
                s => format!("{k} ({})", s.label()),
            })
            .collect();
        return Err(Error::Usage(format!(
            "{}: {} of {} shards are not done: {}; rerun them (`rootgrad batch rescue {}` \
             writes submit files for exactly these) and merge again",
            plan_path.display(),
            missing.len(),
            states.len(),
            list.join(", "),
            dir.display()
        )));
    }
    for inp in &plan.inputs {
        let now = Identity::of(&inp.file)?;
        if let Some(why) = now.differs(&inp.identity, true) {
            return Err(Error::Usage(format!(
                "{}: {why}; the shards scored the file as it was; make a new plan and \
                 rerun it",
                inp.file.display()
            )));
        }
    }
    crate::output::refuse_existing(
        &plan
            .inputs
            .iter()
            .map(|i| i.output.clone())
            .collect::<Vec<_>>(),
        force,
    )?;
    let mut pieces: Vec<Vec<(u64, u64, PathBuf)>> = vec![Vec::new(); plan.inputs.len()];
    for s in &states {
        if let State::Done(r) = s {
            for p in &r.pieces {
                pieces[p.input].push((p.start, p.stop, dir.join(&p.output)));
            }
        }
    }
    let mut out = Vec::new();
    for (i, inp) in plan.inputs.iter().enumerate() {
        let mine = &mut pieces[i];
        mine.sort();
        let mut at = 0;
        for (a, b, path) in mine.iter() {
            if *a != at {
                return Err(Error::Usage(format!(
                    "{}: entries {at} to {a} of {} are in no shard result (next piece: {}); \
                     the shard results do not match the plan",
                    plan_path.display(),
                    inp.input,
                    path.display()
                )));
            }
            at = *b;
        }
        if at != inp.entries {
            return Err(Error::Usage(format!(
                "{}: entries {at} to {} of {} are in no shard result",
                plan_path.display(),
                inp.entries,
                inp.input
            )));
        }
        // removed again if the merged friend is not written into it
        let _folder = match inp.output.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(folder) => {
                let d = crate::output::NewDir::create(folder)?;
                remove_stale_temps(folder);
                Some(d)
            }
            None => None,
        };
        write_merged(&plan, (&inp.input, inp.entries), mine, &inp.output, force)?;
        out.push((inp.output.clone(), inp.entries));
    }
    Ok(out)
}

/// Entries read from the pieces per chunk handed to the writer.
const MERGE_CHUNK: u64 = 1 << 16;

/// Writes `output` from the pieces' friends, in order, through the writer `apply` uses.
fn write_merged(
    plan: &Plan,
    (input, entries): (&str, u64),
    pieces: &[(u64, u64, PathBuf)],
    output: &Path,
    force: bool,
) -> Result<()> {
    let columns: Vec<StreamColumn> = plan
        .columns
        .iter()
        .map(|c| StreamColumn {
            name: c.clone(),
            kind: FriendType::F32,
        })
        .collect();
    // the record a one-process apply writes: the input's own trees, and its format
    let own = Chain::open(&TreeSpec::parse(input))?;
    let source = FriendSource::of_chain(&own);
    let format = FriendFormat::for_input(plan.friend_format, &own);
    let spec = FriendStream {
        path: output,
        tree: &plan.tree_name,
        columns: &columns,
        entries,
        overwrite: force,
        source: Some(&source),
    };
    let mut piece = 0;
    let mut chain: Option<Chain> = None;
    let mut at = 0;
    write_friend_stream_as(&spec, format, || loop {
        let Some((a, b, path)) = pieces.get(piece) else {
            return Ok(None);
        };
        if chain.is_none() {
            let c = Chain::open(&TreeSpec::parse(&format!(
                "{}:{}",
                path.display(),
                plan.tree_name
            )))?;
            if c.entries() != b - a {
                return Err(Error::Usage(format!(
                    "{}: {} entries, but the piece is entries {a} to {b}; rerun its shard",
                    path.display(),
                    c.entries()
                )));
            }
            chain = Some(c);
            at = 0;
        }
        let c = chain.as_ref().expect("opened above");
        if at >= c.entries() {
            chain = None;
            piece += 1;
            continue;
        }
        let stop = (at + MERGE_CHUNK).min(c.entries());
        let mut chunk = Vec::with_capacity(plan.columns.len());
        for name in &plan.columns {
            chunk.push(FriendData::F32(c.read::<f32>(name, at..stop)?.values));
        }
        at = stop;
        return Ok(Some(chunk));
    })
}
