"""The golden of validation/nested.rs's test on ../shared/rootfiles: uproot 5.7's reading
of the `vector<vector<int> >` branch `vector_vector_int32` of uproot-stl_containers.root
(written by ROOT 6.20), entry by entry, as Rust literals.

    python validation/nested_uproot_golden.py
"""

import uproot

with uproot.open("../shared/rootfiles/uproot-stl_containers.root") as f:
    b = f["tree"]["vector_vector_int32"]
    print(b.interpretation)
    for entry in b.array(library="ak").tolist():
        print("vec![" + ", ".join("vec![" + ", ".join(f"{v}.0" for v in inner) + "]" for inner in entry) + "],")
