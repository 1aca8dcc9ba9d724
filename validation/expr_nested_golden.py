"""Goldens for the unit tests of `x[i][j]` on vectors of vectors (src/expr/tests_nested.rs),
computed with awkward-array (independent of rootgrad): element j of inner list i of each
entry, or the default where the entry has no list i or that list has no element j.

    python validation/expr_nested_golden.py

The data are the nested column of the tests: entry by entry, inner lists of values
(empty entries and empty inner lists included). Prints, for each expression, the values
as Rust literals (f64 bit patterns for the non-integers).
"""

import awkward as ak
import numpy as np

VV = [
    [[1.5, 2.5], [], [3.0]],
    [],
    [[-4.0]],
    [[], [5.0, 6.0, 7.0]],
    [[8.0, 9.0], [10.0], [11.0, 12.0], [13.0]],
]
N = ak.Array([2.0, 0.0, 1.0, 2.0, 4.0])  # a scalar branch `n`: the outer lengths


def pick(x, i, j, default):
    """x[i][j] ?? default, with awkward's padding: missing lists and elements are None."""
    lists = ak.pad_none(x, i + 1, axis=1)[:, i]
    vals = ak.pad_none(lists, j + 1, axis=1)[:, j]
    return ak.fill_none(vals, default)


def main():
    x = ak.Array(VV)
    cases = {
        "vv[0][0] ?? -1": pick(x, 0, 0, -1.0),
        "vv[0][1] ?? -1": pick(x, 0, 1, -1.0),
        "vv[1][2] ?? 99": pick(x, 1, 2, 99.0),
        "vv[3][0] ?? 0": pick(x, 3, 0, 0.0),
        "(vv[1][0] ?? -5) * 2 + sqrt(abs(vv[0][0] ?? 0))":
            (pick(x, 1, 0, -5.0) * 2) + np.sqrt(np.abs(pick(x, 0, 0, 0.0))),
        # `&&` needs its right side only where the left is true: entries with n > 1
        # all have a list 1, but not always an element 0 (entry 0), so that entry is 0.
        "n > 1 && (vv[1][0] ?? -1) > 5": (N > 1) & (pick(x, 1, 0, -1.0) > 5),
    }
    for src, vals in cases.items():
        vals = np.asarray(ak.to_numpy(vals), dtype=np.float64)
        lit = ", ".join(f"{float(v)!r}" if float(v).is_integer() else f"f64::from_bits({np.float64(v).view(np.uint64):#x})" for v in vals)
        print(f'("{src}", [{lit}]),')


if __name__ == "__main__":
    main()
