"""The fixed list of commands that compare.py runs with each binary.

Every command runs in the side's own fresh folder (`WORK/<side>/run`) with paths
relative to it, so the two sides print the same paths. `{shared}` is replaced by the
read-only ROOT test files (/work/shared/rootfiles, or $ROOTGRAD_TEST_FILES); commands
that need it are skipped, on both sides, when that folder is missing.

Epochs and event counts are small so that one side takes a couple of minutes on two
cores. Commands that take --threads get `--threads 2`; the others (demo, report, sweep,
morph) run with RAYON_NUM_THREADS=2, which compare.py sets for every command.

Each entry is (name, argv after the binary, timeout in seconds). Names are unique and
become the log file names, so keep them short and free of slashes.
"""

EVENTS = "40000"
EPOCHS = "training.epochs=6"

# Files written into each side's run folder before the first command (same bytes on
# both sides): a run description without folds, with validation and early stopping,
# another optimiser, a schedule, dropout and a warm-up, which the generated configs
# cannot be switched to by --set (their `training.fold` cannot be unset).
FILES = {
    "nofold.toml": """\
[inputs]
features = ["r9", "sieie", "log(pfRelIso03_chg + 1e-3)", "hoe", "abs(eta)", "pt"]

[classification]
normalize  = "equal"
signal     = { files = ["s/photon_mc.root:Events"], cut = "genPartFlav == 1 && pt > 20", weight = "genWeight * puWeight" }
background = { files = ["s/photon_mc.root:Events"], cut = "genPartFlav == 0 && pt > 20", weight = "genWeight * puWeight" }

[domain]
data = { files = ["s/zee_data.root:Events"], weight = "sWeight" }
mc   = { files = ["s/zee_mc.root:Events"], weight = "genWeight * puWeight" }

[network]
hidden     = [24, 16, 8]
activation = "elu"
dropout    = 0.1

[training]
optimizer      = { name = "rmsprop" }
learning_rate  = 2e-3
schedule       = { kind = "step", step_size = 3, gamma = 0.5 }
batch_size     = 256
domain_batch_size = 1024
epochs         = 8
early_stopping = 2
validation     = 0.25
seed           = 7

[adaptation]
method        = "histogram"
lambda        = 5.0
bins          = 12
warmup_epochs = 2
""",
}

# (name, args, timeout)
COMMANDS = [
    # --- help texts (a5cad5f claims them byte-identical) -------------------------
    ("help", ["--help"], 30),
    *[
        (f"help-{c.replace(' ', '-')}", c.split() + ["--help"], 30)
        for c in [
            "inspect", "dump", "train", "apply", "agreement", "roc", "flatness",
            "report", "sweep", "reweight", "morph", "demo", "samples generate",
        ]
    ],
    # --- the demo: samples, five models, apply, table, reports, reweighting -------
    # as a user types it: 100000 events per sample, ~75 s on two cores
    ("demo", ["demo", "--out", "demo"], 900),
    # --- own samples, another seed ------------------------------------------------
    ("samples", ["samples", "generate", "--out", "s", "--events", EVENTS, "--seed", "3"], 120),
    # --- reading: inspect and dump ------------------------------------------------
    ("inspect-sample", ["inspect", "s/zee_data.root"], 60),
    ("inspect-sample-json", ["inspect", "--json", "s/photon_mc.root:Events"], 60),
    ("dump-sample-csv", ["dump", "s/zee_data.root:Events", "--entry-start", "100", "--entry-stop", "160"], 60),
    ("dump-sample-json", ["dump", "s/tau3mu_data.root", "--format", "json",
                          "--branches", "mass,iso,SPDhits", "--entry-stop", "40"], 60),
    ("dump-sample-file", ["dump", "s/ds_mc.root:Events", "-o", "s/ds_mc.csv"], 60),
    ("inspect-shared-nested", ["inspect", "{shared}/uproot-nesteddirs.root"], 60),
    ("inspect-shared-nano", ["inspect", "{shared}/nanoAOD_2015_CMS_Open_Data_ttbar.root:Events"], 60),
    ("dump-shared-nested", ["dump", "{shared}/uproot-nesteddirs.root:one/two/tree", "--entry-stop", "8"], 60),
    ("dump-shared-hzz-zstd", ["dump", "{shared}/uproot-HZZ-zstd.root:events", "--format", "json",
                              "--entry-stop", "25"], 60),
    ("dump-shared-lzma", ["dump", "{shared}/uproot-sample-6.20.04-lzma.root", "--entry-stop", "10"], 60),
    # --- training ------------------------------------------------------------------
    ("train-A-base", ["train", "s/photon_id.toml", "--out", "t/A-base", "--set", EPOCHS,
                      "--threads", "2"], 300),
    ("train-A-hist", ["train", "s/photon_id.toml", "--out", "t/A-hist", "--set", EPOCHS,
                      "--set", "adaptation.method=histogram", "--set", "adaptation.lambda=10",
                      "--threads", "2"], 300),
    ("train-A-nofold", ["train", "nofold.toml", "--out", "t/A-nofold", "--threads", "2", "--quiet"], 300),
    ("train-B-adapted", ["train", "s/tau3mu.toml", "--out", "t/B-adapted", "--set", EPOCHS,
                         "--set", "adaptation.method=reversal", "--set", "adaptation.lambda=5",
                         "--set", "decorrelation.mass=\"mass\"", "--set", "decorrelation.lambda=5",
                         "--threads", "2"], 300),
    # determinism: the same training with 1 and with 2 threads (compared within each side)
    ("train-det-t1", ["train", "s/tau3mu.toml", "--out", "t/det-t1", "--set", "training.epochs=3",
                      "--set", "adaptation.method=histogram", "--threads", "1", "--quiet"], 300),
    ("train-det-t2", ["train", "s/tau3mu.toml", "--out", "t/det-t2", "--set", "training.epochs=3",
                      "--set", "adaptation.method=histogram", "--threads", "2", "--quiet"], 300),
    # --- apply ---------------------------------------------------------------------
    ("apply-A-base-2files", ["apply", "-m", "t/A-base/model.json", "s/zee_data.root:Events",
                             "s/zee_mc.root:Events", "--output-dir", "f/A-base", "--threads", "2"], 300),
    ("apply-A-hist-allfolds", ["apply", "-m", "t/A-hist/model.json", "s/photon_mc.root:Events",
                               "-o", "f/photon_mc.A-hist.root", "--all-folds", "--threads", "2"], 300),
    ("apply-A-hist-cr", ["apply", "-m", "t/A-hist/model.json", "s/zee_data.root", "s/zee_mc.root",
                         "--output-dir", "f/A-hist", "--tree-name", "hist", "--branch", "s_hist",
                         "--threads", "2", "--quiet"], 300),
    ("apply-A-nofold-glob", ["apply", "-m", "t/A-nofold/model.json", "s/zee_*.root:Events",
                             "--output-dir", "f/A-nofold", "--threads", "2"], 300),
    ("apply-B-adapted", ["apply", "-m", "t/B-adapted/model.json", "s/tau3mu_data.root:Events",
                         "s/ds_data.root:Events", "s/ds_mc.root:Events", "--output-dir", "f/B-adapted",
                         "--threads", "2"], 300),
    ("apply-det-t1", ["apply", "-m", "t/det-t2/model.json", "s/tau3mu_mc.root:Events",
                      "-o", "f/det-t1.root", "--threads", "1", "--quiet"], 300),
    ("apply-det-t2", ["apply", "-m", "t/det-t2/model.json", "s/tau3mu_mc.root:Events",
                      "-o", "f/det-t2.root", "--threads", "2", "--quiet"], 300),
    # --- metrics on the scores -----------------------------------------------------
    ("agreement-text", ["agreement", "--data", "s/zee_data.root:Events", "--mc", "s/zee_mc.root:Events",
                        "--var", "score", "--data-weight", "sWeight", "--mc-weight", "genWeight * puWeight",
                        "--friend", "data=f/A-base/zee_data.rootgrad.root:rootgrad",
                        "--friend", "mc=f/A-base/zee_mc.rootgrad.root:rootgrad",
                        "--plot", "f/agreement.png"], 120),
    ("agreement-json", ["agreement", "--data", "s/zee_data.root", "--mc", "s/zee_mc.root",
                        "--var", "abs(eta)", "--data-weight", "sWeight", "--mc-weight", "genWeight",
                        "--cut", "pt > 20", "--bins", "25", "--json", "--plot", "f/agreement_eta.svg",
                        "--log-y"], 120),
    ("roc-text", ["roc", "--signal", "s/photon_mc.root:Events", "--background", "s/photon_mc.root:Events",
                  "--var", "score", "--signal-cut", "genPartFlav == 1", "--background-cut", "genPartFlav == 0",
                  "--signal-weight", "genWeight * puWeight", "--background-weight", "genWeight * puWeight",
                  "--friend", "f/photon_mc.A-hist.root:rootgrad", "--plot", "f/roc.png"], 120),
    ("roc-json", ["roc", "--signal", "s/tau3mu_mc.root", "--background", "s/tau3mu_data.root",
                  "--var", "score", "--background-cut", "abs(mass - 1.777) > 0.03",
                  "--friend", "signal=f/det-t2.root:rootgrad",
                  "--friend", "background=f/B-adapted/tau3mu_data.rootgrad.root:rootgrad",
                  "--json", "--plot", "f/roc_b.svg", "--log-y"], 120),
    ("flatness-text", ["flatness", "--input", "s/tau3mu_data.root:Events", "--var", "score",
                       "--mass", "mass", "--friend", "f/B-adapted/tau3mu_data.rootgrad.root:rootgrad"], 120),
    ("flatness-json", ["flatness", "--input", "s/tau3mu_data.root:Events", "--var", "score",
                       "--mass", "mass", "--cut", "abs(mass - 1.777) > 0.03",
                       "--friend", "f/B-adapted/tau3mu_data.rootgrad.root:rootgrad",
                       "--neighbours", "100", "--step", "25", "--json"], 120),
    ("dump-friend", ["dump", "f/photon_mc.A-hist.root", "--entry-stop", "30"], 60),
    # --- report --------------------------------------------------------------------
    ("report-A", ["report", "-m", "t/A-hist", "--baseline", "t/A-base", "--out", "r/A"], 300),
    ("report-B-svg", ["report", "-m", "t/B-adapted", "--config", "s/tau3mu.toml", "--out", "r/B",
                      "--bins", "30", "--svg", "--quiet"], 300),
    # --- reweight and morph ----------------------------------------------------------
    ("reweight-default", ["reweight", "s/photon_id.toml", "--out", "rw/default",
                          "--set", "training.epochs=5", "--threads", "2"], 300),
    ("reweight-options", ["reweight", "s/photon_id.toml", "--out", "rw/options",
                          "--set", "training.epochs=3", "--set", "network.hidden=[16]",
                          "--max-weight", "5", "--normalize", "data", "--apply-to", "all",
                          "--check", "pt", "--check", "r9 * sieie", "--bins", "20", "--svg",
                          "--threads", "2", "--quiet"], 300),
    ("morph", ["morph", "s/photon_id.toml", "--var", "r9", "--var", "sieie",
               "--var", "log(pfRelIso03_all + 1e-3)", "--out", "mo/a"], 300),
    ("morph-svg", ["morph", "s/tau3mu.toml", "--var", "iso", "--var", "IPSig", "--out", "mo/b",
                   "--bins", "25", "--svg", "--quiet"], 300),
    # --- sweep (two short trainings) -------------------------------------------------
    ("sweep", ["sweep", "s/photon_id.toml", "--set", "adaptation.method=histogram",
               "--set", "adaptation.lambda=0,10", "--set", "training.epochs=2", "--out", "sw",
               "--quiet"], 300),
    # --- bad input: messages and exit codes ------------------------------------------
    ("err-missing-config", ["train", "nope.toml", "--out", "t/nope"], 30),
    ("err-bad-set", ["train", "s/photon_id.toml", "--out", "t/bad", "--set", "training.epochs=many"], 30),
    ("err-bad-branch", ["dump", "s/zee_data.root:Events", "--branches", "ptt"], 30),
    ("err-bad-tree", ["inspect", "s/zee_data.root:Event"], 30),
    ("err-bins-zero", ["morph", "s/photon_id.toml", "--var", "r9", "--bins", "0", "--out", "mo/zero"], 30),
    ("err-exists", ["apply", "-m", "t/A-base/model.json", "s/zee_data.root:Events",
                    "--output-dir", "f/A-base"], 30),
    ("err-config-expr", ["train", "s/photon_id.toml", "--out", "t/bad", "--set",
                         'inputs.features=["r9 +", "sieie"]', "--quiet"], 30),
    ("err-config-bins", ["train", "s/photon_id.toml", "--out", "t/bad", "--set", "adaptation.method=histogram",
                         "--set", "adaptation.bins=2000000", "--quiet"], 30),
    ("err-config-clip", ["train", "s/photon_id.toml", "--out", "t/bad", "--set",
                         "training.clip_grad_norm=-1", "--quiet"], 30),
    ("err-config-fold", ["train", "s/photon_id.toml", "--out", "t/bad", "--set",
                         'training.fold="event %% 2"', "--quiet"], 30),
    ("err-bad-feature", ["apply", "-m", "t/A-base/model.json", "s/tau3mu_mc.root:Events",
                         "-o", "f/never.root"], 30),
]

# Pairs of artefacts that must be identical within one side (same binary): the same
# training or scoring with 1 and with 2 threads.
DETERMINISM = [
    ("t/det-t1/model.json", "t/det-t2/model.json"),
    ("t/det-t1/history.csv", "t/det-t2/history.csv"),
    ("f/det-t1.root", "f/det-t2.root"),
]
