//! The steps of one model's training ([`super::fit::fit`]), apart from the epoch loop:
//! what the loss plan's terms need, set up once from the training sets ([`Terms`]: the
//! normalisations, the flatness bins, the adversary's mass scale, the two control-region
//! cycles), the buffers every step reuses, and one step: the classification batch, the
//! domain batch when it is due, clipping and the optimiser step. What a step computes is
//! the numbered list at the top of `fit.rs`; each function here is one of its items.
//!
//! Bit for bit: the batch order comes from one SplitMix64 stream (`Stream::BatchOrder`),
//! the domain batches from two more (`DomainData`, `DomainMc`), dropout masks from the
//! seed and the step number; each loss term's sum is accumulated in step order.

use std::collections::HashMap;

use super::fit::FitSets;
use crate::config::{DomainTerms, LossPlan, RunConfig};
use crate::data::sets::{Batch, Cycler, PackedSet, Set};
use crate::data::split::permutation_into;
use crate::loss::{
    bce_backward, bce_forward, domain_backward, domain_forward, equal_population_edges,
    flatness_backward, flatness_forward, histogram_backward, histogram_forward, mass_mse_backward,
    mass_mse_forward, DomainNorm, FlatnessBatch, FlatnessConfig, FlatnessHistograms, Histograms,
    Normalisation,
};
use crate::nn::{BatchInput, DropoutKey, Labels, Mode, Network, Upstream, Workspace};
use crate::optim::Optimizer;
use crate::random::{SplitMix64, Stream};
use crate::Result;

/// The loss terms' places in [`EpochSums`] (history.csv's `train_*` columns).
const CLASSIFICATION: usize = 0;
const HISTOGRAM: usize = 1;
const DOMAIN: usize = 2;
const MASS: usize = 3;
const FLATNESS: usize = 4;

/// One epoch's sums of each loss term over the steps that ran it, and lambda_G.
#[derive(Debug, Default)]
pub(super) struct EpochSums {
    sums: [f64; 5],
    counts: [usize; 5],
    /// lambda_G of the epoch's last domain step (0 before one, and without reversal).
    pub lambda_g: f64,
}

impl EpochSums {
    fn add(&mut self, term: usize, loss: f64) {
        self.sums[term] += loss;
        self.counts[term] += 1;
    }

    fn mean(&self, term: usize) -> Option<f64> {
        (self.counts[term] > 0).then(|| self.sums[term] / self.counts[term] as f64)
    }

    pub fn classification(&self) -> Option<f64> {
        self.mean(CLASSIFICATION)
    }
    pub fn histogram(&self) -> Option<f64> {
        self.mean(HISTOGRAM)
    }
    pub fn domain(&self) -> Option<f64> {
        self.mean(DOMAIN)
    }
    pub fn mass(&self) -> Option<f64> {
        self.mean(MASS)
    }
    pub fn flatness(&self) -> Option<f64> {
        self.mean(FLATNESS)
    }

    /// The epoch's training loss, L_C + lambda_H L_H + L_D + L_M + lambda_F L_F of the
    /// means, a term that did not run counting 0.
    pub fn train_loss(&self, plan: &LossPlan) -> f64 {
        self.classification().unwrap_or(0.0)
            + plan.histogram_lambda() * self.histogram().unwrap_or(0.0)
            + self.domain().unwrap_or(0.0)
            + self.mass().unwrap_or(0.0)
            + plan.flatness_lambda() * self.flatness().unwrap_or(0.0)
    }
}

/// The adversary's fixed parts: the training background's normalisation, and the mean
/// and population standard deviation of its mass, which the mass head regresses in.
struct Adversary {
    norm: Normalisation,
    mean: f64,
    std: f64,
    /// lambda_M.
    lambda: f64,
}

/// The control region's training part, its normalisation, and the two cycles that draw
/// the data and simulation halves of each domain batch.
struct DomainFeed<'s> {
    terms: &'s DomainTerms,
    data: &'s Set<'s>,
    mc: &'s Set<'s>,
    norm: DomainNorm,
    cyc_data: Cycler,
    cyc_mc: Cycler,
}

/// What the loss plan's terms need, for one model's training sets.
pub(super) struct Terms<'s> {
    pub plan: &'s LossPlan,
    /// The classification training set's normalisation.
    norm_set: Normalisation,
    /// The flatness term's mass bins and background normalisations.
    pub flat: Option<FlatnessConfig>,
    adversary: Option<Adversary>,
    /// None without data/simulation terms (or without a control region to feed them).
    domain: Option<DomainFeed<'s>>,
}

impl<'s> Terms<'s> {
    /// Sets up `plan`'s terms on `sets`. The decorrelation terms read the training
    /// background (events with y = 0; their signed weights as they are): the flatness
    /// term's equal-population mass edges and per-bin weights, the adversary's
    /// normalisation and mass scale. Fails when a set's weights cannot be normalised.
    pub fn new(plan: &'s LossPlan, sets: &'s FitSets<'s>, seed: u64) -> Result<Self> {
        let train = &sets.train;
        let bkg: Vec<usize> = (0..train.len()).filter(|&i| train.y[i] == 0.0).collect();
        let bkg_mass: Vec<f32> = bkg
            .iter()
            .map(|&i| train.mass.get(i).copied().unwrap_or(0.0))
            .collect();
        let bkg_w: Vec<f32> = bkg.iter().map(|&i| train.w[i]).collect();
        let flat = match &plan.flatness {
            Some(f) => {
                let edges = equal_population_edges(&bkg_mass, None, f.mass_bins)?;
                Some(FlatnessConfig::new(f.bins, edges, &bkg_mass, &bkg_w)?)
            }
            None => None,
        };
        let adversary = match &plan.adversary {
            Some(a) => {
                let norm = Normalisation::of_weights("training background", &bkg_w)?;
                let (mean, std) = mean_std(&bkg_mass);
                Some(Adversary {
                    norm,
                    mean,
                    std,
                    lambda: a.lambda,
                })
            }
            None => None,
        };
        let norm_set = Normalisation::of_weights("classification training set", &train.w)?;
        let domain = match (&plan.domain, &sets.domain_train) {
            (Some(terms), Some((d, m))) => Some(DomainFeed {
                terms,
                data: d,
                mc: m,
                norm: DomainNorm::new(
                    Normalisation::of_weights("[domain] data, training part", &d.w)?,
                    Normalisation::of_weights("[domain] mc, training part", &m.w)?,
                ),
                cyc_data: Cycler::new(d.len(), SplitMix64::named(seed, Stream::DomainData)),
                cyc_mc: Cycler::new(m.len(), SplitMix64::named(seed, Stream::DomainMc)),
            }),
            _ => None,
        };
        Ok(Terms {
            plan,
            norm_set,
            flat,
            adversary,
            domain,
        })
    }
}

impl Terms<'_> {
    /// Item 1's decorrelation terms on `batch`, just run forward into `ws`: lambda_F L_F
    /// on its background added into `g.dz`, and the mass head's L_M into `g.dm`.
    /// Returns lambda_M (0 without the adversary).
    fn decorrelation(
        &self,
        g: &mut Upstreams,
        batch: &Batch,
        ws: &Workspace<f32>,
        sums: &mut EpochSums,
    ) -> Result<f64> {
        let (y, w) = (&batch.y, &batch.w);
        if let (Some(fc), Some(fh), Some(f)) = (&self.flat, g.fhists.as_mut(), &self.plan.flatness)
        {
            let fb = FlatnessBatch::new(fc, y, &batch.mass)?;
            sums.add(FLATNESS, flatness_forward(fh, &ws.z, w, &fb, fc));
            flatness_backward(&mut g.dz, &ws.z, w, &fb, fh, fc, f.lambda);
        }
        g.dm.clear();
        let Some(adv) = &self.adversary else {
            return Ok(0.0);
        };
        g.mass_t.clear();
        g.mass_t.extend(
            batch
                .mass
                .iter()
                .map(|&m| ((m as f64 - adv.mean) / adv.std) as f32),
        );
        g.dm.resize(batch.len(), 0.0);
        sums.add(MASS, mass_mse_forward(&ws.mass, &g.mass_t, y, w, &adv.norm));
        mass_mse_backward(&mut g.dm, &ws.mass, &g.mass_t, y, w, &adv.norm, 1.0);
        Ok(adv.lambda)
    }
}

/// The mean and population standard deviation of `mass` in f64 (1 when it is 0).
fn mean_std(mass: &[f32]) -> (f64, f64) {
    let n = mass.len().max(1) as f64;
    let m = mass.iter().map(|&v| v as f64).sum::<f64>() / n;
    let v = mass.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n;
    (m, if v > 0.0 { v.sqrt() } else { 1.0 })
}

/// The upstream gradients a step hands to backward, and the loss histograms.
struct Upstreams {
    /// dL/dz of the classifier logits.
    dz: Vec<f32>,
    /// dL/dz_d of the domain head.
    dd: Vec<f32>,
    /// dL/dm of the mass head, and the standardised masses it regresses.
    dm: Vec<f32>,
    mass_t: Vec<f32>,
    hists: Option<Histograms>,
    fhists: Option<FlatnessHistograms>,
}

/// What every step reuses: the gradient, workspaces by batch size, the gathered
/// batches and the upstream gradients.
struct Buffers {
    grad: Vec<f32>,
    ws_c: HashMap<usize, Workspace<f32>>,
    ws_d: HashMap<usize, Workspace<f32>>,
    batch: Batch,
    dbatch: Batch,
    up: Upstreams,
}

fn workspace<'a>(
    map: &'a mut HashMap<usize, Workspace<f32>>,
    net: &Network,
    n: usize,
    fused: bool,
) -> &'a mut Workspace<f32> {
    map.entry(n).or_insert_with(|| {
        if fused {
            Workspace::for_fused(net, n)
        } else {
            Workspace::new(net, n)
        }
    })
}

/// One model's training between epochs: its terms, buffers, optimiser, batch order
/// stream and step count.
pub(super) struct Steps<'s> {
    pub cfg: &'s RunConfig,
    pub net: &'s Network,
    pub sets: &'s FitSets<'s>,
    pub terms: Terms<'s>,
    buf: Buffers,
    opt: Optimizer<f32>,
    rng: SplitMix64,
    seed: u64,
    lr0: f64,
    total_steps: f64,
    step: u64,
    /// The current epoch's batch order (a permutation of the training set).
    order: Vec<u32>,
    /// The classification training set with each event's row reference, label and
    /// weight side by side, for the fused step's shuffled batches.
    packed: PackedSet<'s, 's>,
}

impl<'s> Steps<'s> {
    /// Sets up the training of `net` on `sets` with the loss `plan` (see [`Terms::new`]).
    pub fn new(
        cfg: &'s RunConfig,
        plan: &'s LossPlan,
        net: &'s Network,
        sets: &'s FitSets<'s>,
        seed: u64,
    ) -> Result<Self> {
        let t = &cfg.training;
        let terms = Terms::new(plan, sets, seed)?;
        let buf = Buffers {
            grad: vec![0.0f32; net.num_params()],
            ws_c: HashMap::new(),
            ws_d: HashMap::new(),
            batch: Batch::default(),
            dbatch: Batch::default(),
            up: Upstreams {
                dz: Vec::new(),
                dd: Vec::new(),
                dm: Vec::new(),
                mass_t: Vec::new(),
                hists: plan.histogram().map(|h| Histograms::new(&h.bins)),
                fhists: terms.flat.as_ref().map(FlatnessHistograms::new),
            },
        };
        let steps_per_epoch = sets.train.len().div_ceil(t.batch_size);
        Ok(Steps {
            cfg,
            net,
            sets,
            terms,
            buf,
            opt: Optimizer::<f32>::new(&t.optimizer, net.num_params()),
            rng: SplitMix64::named(seed, Stream::BatchOrder),
            seed,
            lr0: t.optimizer.lr(),
            total_steps: (steps_per_epoch * t.epochs).max(1) as f64,
            step: 0,
            order: Vec::new(),
            packed: PackedSet::new(&sets.train),
        })
    }

    /// The learning rate at the start of `epoch` (what history.csv records); Ganin's
    /// schedule, which reads the progress p, is re-evaluated every step.
    pub fn epoch_lr(&self, epoch: usize) -> f64 {
        let p = self.step as f64 / self.total_steps;
        self.cfg.training.schedule.lr(self.lr0, epoch as u64, p)
    }

    /// One epoch: a fresh permutation of the training set cut into batches, one step
    /// each. Returns the epoch's loss sums.
    pub fn epoch(&mut self, params: &mut [f32], epoch: usize) -> Result<EpochSums> {
        // the permutation buffer is the previous epoch's, refilled (no fresh 4 bytes
        // per event, and their page faults, every epoch)
        let mut order = std::mem::take(&mut self.order);
        permutation_into(self.sets.train.len(), &mut self.rng, &mut order);
        let mut sums = EpochSums::default();
        let mut result = Ok(());
        for (bi, idx) in order.chunks(self.cfg.training.batch_size).enumerate() {
            result = self.step(params, idx, epoch, bi, &mut sums);
            if result.is_err() {
                break;
            }
        }
        self.order = order;
        result.map(|()| sums)
    }

    /// One step (items 1 to 3 of `fit.rs`): the gradient of the classification batch
    /// `idx` (the `bi`-th of the epoch) and, when due, of a domain batch, summed in one
    /// buffer, clipped if asked, then the optimiser step at the scheduled rate.
    fn step(
        &mut self,
        params: &mut [f32],
        idx: &[u32],
        epoch: usize,
        bi: usize,
        sums: &mut EpochSums,
    ) -> Result<()> {
        let cfg = self.cfg;
        let t = &cfg.training;
        let p = self.step as f64 / self.total_steps;
        let mode = if cfg.network.dropout > 0.0 {
            Mode::Train(DropoutKey {
                seed: self.seed,
                step: self.step,
            })
        } else {
            Mode::Eval
        };
        self.buf.grad.fill(0.0);
        self.classification(params, idx, mode, sums)?;
        let due = self
            .terms
            .domain
            .as_ref()
            .is_some_and(|d| epoch >= d.terms.warmup_epochs && bi % t.domain_every == 0);
        if due {
            self.domain(params, mode, p, sums)?;
        }
        if let Some(c) = &t.clip_grad_norm {
            c.apply(&mut self.buf.grad);
        }
        let lr = t.schedule.lr(self.lr0, epoch as u64, p);
        self.opt.step(params, &self.buf.grad, lr);
        self.step += 1;
        Ok(())
    }

    /// Item 1: the classification batch's L_C, as the fused pass without decorrelation,
    /// else forward, the loss backwards (with [`Terms::decorrelation`]), then backward.
    fn classification(
        &mut self,
        params: &[f32],
        idx: &[u32],
        mode: Mode,
        sums: &mut EpochSums,
    ) -> Result<()> {
        let (net, terms, b) = (self.net, &self.terms, &mut self.buf);
        let (set, packed) = (&self.sets.train, &self.packed);
        let n = idx.len();
        let norm = terms.norm_set.batch("classification batch", n)?;
        if terms.plan.flatness.is_none() && terms.plan.adversary.is_none() {
            // the batch's labels and weights first, in one tight loop over the packed
            // events (their misses overlap, and it brings the events' row references
            // into the cache); then the fused pass gathers each chunk's rows on the
            // thread that runs the chunk, just before its forward (the same rows and
            // values, any thread count)
            packed.labels(idx, &mut b.batch.y, &mut b.batch.w);
            let ws = workspace(&mut b.ws_c, net, n, true);
            let width = set.width.max(1);
            let fill = |row0: usize, rows: &mut [f32]| {
                packed.fill_rows(&idx[row0..row0 + rows.len() / width], rows)
            };
            b.batch.x.resize(n * set.width, 0.0);
            let input = BatchInput::Fill(&mut b.batch.x, &fill);
            let labels = Labels {
                y: &b.batch.y,
                w: &b.batch.w,
                idx: None,
            };
            let lc =
                net.train_step_bce_input(&mut b.grad, ws, params, input, labels, &norm, mode)?;
            sums.add(CLASSIFICATION, lc);
            return Ok(());
        }
        // the shuffled batch's rows, gathered in parallel (the same rows, any thread
        // count)
        set.gather(idx, &mut b.batch);
        let (batch, g) = (&b.batch, &mut b.up);
        let ws = workspace(&mut b.ws_c, net, n, false);
        net.forward(ws, params, &batch.x, mode)?;
        g.dz.clear();
        g.dz.resize(n, 0.0);
        sums.add(
            CLASSIFICATION,
            bce_forward(&ws.z, &batch.y, &batch.w, &norm),
        );
        bce_backward(&mut g.dz, &ws.z, &batch.y, &batch.w, &norm, 1.0);
        let lambda_mass = terms.decorrelation(g, batch, ws, sums)?;
        let up = Upstream {
            dz: Some(&g.dz),
            ddomain: None,
            dmass: if g.dm.is_empty() { None } else { Some(&g.dm) },
            lambda_domain: 0.0,
            lambda_mass,
        };
        net.backward(&mut b.grad, ws, params, &batch.x, &up)
    }

    /// Item 2: a domain batch (data then simulation), lambda_H L_H on the classifier's
    /// score and the domain head's L_D through the reversal layer with lambda_G at the
    /// progress `p`.
    fn domain(&mut self, params: &[f32], mode: Mode, p: f64, sums: &mut EpochSums) -> Result<()> {
        let Some(feed) = self.terms.domain.as_mut() else {
            return Ok(());
        };
        let (net, b, size) = (self.net, &mut self.buf, self.cfg.training.domain_batch_size);
        let (di, mi) = (feed.cyc_data.next(size), feed.cyc_mc.next(size));
        feed.data.gather_pair(&di, feed.mc, &mi, &mut b.dbatch);
        let nd = di.len();
        let nb = b.dbatch.len();
        // domain labels: 1 for data, 0 for simulation
        let label: Vec<f32> = (0..nb).map(|i| if i < nd { 1.0 } else { 0.0 }).collect();
        let db = feed.norm.batch(&label)?;
        let ws = workspace(&mut b.ws_d, net, nb, false);
        let (dbatch, g) = (&b.dbatch, &mut b.up);
        net.forward(ws, params, &dbatch.x, mode)?;
        g.dz.clear();
        g.dz.resize(nb, 0.0);
        g.dd.clear();
        let terms = feed.terms;
        if let (Some(h), Some(hists)) = (&terms.histogram, g.hists.as_mut()) {
            let l = histogram_forward(hists, &ws.z, &dbatch.w, &label, &h.bins, &db);
            sums.add(HISTOGRAM, l);
            histogram_backward(
                &mut g.dz, &ws.z, &dbatch.w, &label, hists, &h.bins, &db, h.lambda,
            );
        }
        if let Some(r) = &terms.reversal {
            sums.lambda_g = r.lambda.at(p);
            g.dd.resize(nb, 0.0);
            sums.add(DOMAIN, domain_forward(&ws.domain, &dbatch.w, &label, &db));
            domain_backward(&mut g.dd, &ws.domain, &dbatch.w, &label, &db, 1.0);
        }
        let up = Upstream {
            dz: terms.histogram.is_some().then_some(&g.dz[..]),
            ddomain: terms.reversal.is_some().then_some(&g.dd[..]),
            dmass: None,
            lambda_domain: sums.lambda_g,
            lambda_mass: 0.0,
        };
        net.backward(&mut b.grad, ws, params, &dbatch.x, &up)
    }
}
