//! Scoring ntuples with a model file: the library half of `rootgrad apply`.
//!
//! A chain is scored chunk by chunk ([`stream`]): the chunks of [`crate::data::chunks`]
//! (about [`ChunkSize::SCORE`] entries, ending at basket boundaries, read one chunk
//! ahead on a thread of their own), each scored by the model's [`Scorer`] and turned
//! into scores s = sigmoid(z); memory is a few chunks' buffers and the model, whatever
//! the entry count.
//!
//! Every entry gets a score, in order. An entry with a NaN or infinite feature gets a
//! NaN score and is counted (the friend tree must have every entry; the count is
//! reported so it is never silent). A fold expression that does not give an integer from
//! 0 to k - 1 is an error naming the file and entry. The scores do not depend on the
//! chunking or the thread count (see [`crate::model::scorer`]).

use crate::data::chunks::{chunk_plan, read_ahead, ChunkSize};
use crate::model::{ChunkLogits, ScoreBuffers, Scorer};
use crate::root::Chain;
use crate::Result;

/// The scores of a chain.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// One per entry: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

/// The scores of one chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkScores {
    /// Chain entry of the first score.
    pub first_entry: u64,
    /// One per entry of the chunk: each entry's own model's score.
    pub score: Vec<f32>,
    /// With `all_folds`: every fold model's score of every entry of the chunk.
    pub per_fold: Vec<Vec<f32>>,
    /// Entries of the chunk with a non-finite feature (scored NaN).
    pub nonfinite: u64,
}

/// s = sigmoid(z), NaN for a NaN logit (an entry not scored).
fn score_of(z: f32) -> f32 {
    if z.is_nan() {
        f32::NAN
    } else {
        rootgrad_kernels::act::sigmoid(z)
    }
}

impl From<ChunkLogits> for ChunkScores {
    fn from(c: ChunkLogits) -> ChunkScores {
        let scores = |z: Vec<f32>| z.into_iter().map(score_of).collect();
        ChunkScores {
            first_entry: c.first_entry,
            score: scores(c.z),
            per_fold: c.per_fold.into_iter().map(scores).collect(),
            nonfinite: c.nonfinite,
        }
    }
}

/// Scores `chain` chunk by chunk: calls `body` with a source of the chunks' scores, in
/// entry order (`Ok(None)` after the last), while a thread reads one chunk ahead. The
/// reader stops when `body` returns, whether or not it took every chunk.
pub fn stream<R>(
    scorer: &Scorer,
    chain: &Chain,
    all_folds: bool,
    body: impl FnOnce(&mut (dyn FnMut() -> Result<Option<ChunkScores>> + Send)) -> R,
) -> R {
    let exprs = scorer.exprs();
    let ranges = chunk_plan(chain, &exprs, ChunkSize::SCORE);
    read_ahead(chain, &exprs, ranges, |read| {
        let mut buf = ScoreBuffers::default();
        let mut next = move || -> Result<Option<ChunkScores>> {
            match read() {
                None => Ok(None),
                Some(cols) => scorer
                    .score_chunk(&cols?, chain, None, all_folds, &mut buf)
                    .map(|c| Some(c.into())),
            }
        };
        body(&mut next)
    })
}

/// Scores every entry of `chain` into memory; `progress(n)` is called after each chunk.
/// (`rootgrad apply` streams instead: see [`stream`].)
pub fn score(
    scorer: &Scorer,
    chain: &Chain,
    all_folds: bool,
    mut progress: impl FnMut(u64),
) -> Result<Scores> {
    stream(scorer, chain, all_folds, |next| {
        let mut out = Scores::default();
        while let Some(c) = next()? {
            progress(c.score.len() as u64);
            out.score.extend_from_slice(&c.score);
            out.per_fold.resize_with(c.per_fold.len(), Vec::new);
            for (all, part) in out.per_fold.iter_mut().zip(&c.per_fold) {
                all.extend_from_slice(part);
            }
            out.nonfinite += c.nonfinite;
        }
        Ok(out)
    })
}
