"""The file UUIDs that uproot reads from some of the shared ROOT files.

Golden values for `root::file` tests (`uuid_matches_uproot` in src/root/file.rs's
tests): run with a Python that has uproot, from the project's folder:

    python validation/identity/uuid_golden.py
"""
import pathlib
import uproot

SHARED = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "rootfiles"
for name in ["uproot-HZZ-zlib.root", "uproot-sample-5.23.02-zlib.root",
             "uproot-sample-6.20.04-lz4.root", "nanoAOD_2015_CMS_Open_Data_ttbar.root"]:
    with uproot.open(SHARED / name) as f:
        print(name, f.file.uuid)
