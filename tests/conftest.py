import pandas as pd
import pytest


def match_contacts(est: pd.DataFrame, truth: pd.DataFrame, *, max_dt_s: float, edge_s: float, t_end: float):
    """Pair detected and true contacts by side and IC time.

    Returns (pairs, missed, extra): pairs of (truth index, est index); true contacts not found
    (ignoring those within ``edge_s`` of either end, which may be cut); detected contacts with no
    true contact.
    """
    pairs, used = [], set()
    for i, row in truth.iterrows():
        cand = est.index[(est.side == row.side) & ((est.ic_s - row.ic_s).abs() <= max_dt_s)]
        cand = [j for j in cand if j not in used]
        if cand:
            j = min(cand, key=lambda j: abs(est.ic_s[j] - row.ic_s))
            pairs.append((i, j))
            used.add(j)
    matched_truth = {i for i, _ in pairs}
    missed = [i for i, row in truth.iterrows()
              if i not in matched_truth and row.ic_s > edge_s and row.to_s < t_end - edge_s]
    extra = [j for j in est.index if j not in used]
    return pairs, missed, extra


@pytest.fixture
def match():
    return match_contacts
