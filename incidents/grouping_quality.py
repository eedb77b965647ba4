"""How well complaints are grouped into incidents, against labels people gave. Pure, no Django.

Used by `evaluate_pipeline` (on the pipeline's real incidents) and bench/bench_grouping.py (on a
known truth).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from typing import Any


def b_cubed(found: Mapping[Any, Hashable], truth: Mapping[Any, Hashable]) -> dict:
    """B-cubed precision, recall and F1 (Bagga and Baldwin 1998) of a grouping of the keys of
    `truth`: per item, the share of its group that is in its true group, and the share of its true
    group that is in its group, averaged over the items."""
    groups: dict[Hashable, set] = defaultdict(set)
    true: dict[Hashable, set] = defaultdict(set)
    for key in truth:
        groups[found[key]].add(key)
        true[truth[key]].add(key)
    precision = recall = 0.0
    for key in truth:
        group, real = groups[found[key]], true[truth[key]]
        shared = len(group & real)
        precision += shared / len(group)
        recall += shared / len(real)
    count = len(truth) or 1
    precision, recall = precision / count, recall / count
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "groups": len(groups),
    }


def incident_figures(
    *,
    incident_of: Mapping[Any, Hashable],
    label_of: Mapping[Any, Hashable],
    supplier_of: Mapping[Any, Hashable],
) -> dict:
    """Purity: the share of the grouped complaints that carry their incident's majority label
    (an incident of one problem is pure). Largest share: for each supplier, its largest incident's
    share of its grouped complaints (a catch-all incident shows as a large share); the worst
    supplier's figure and each supplier's."""
    members: dict[Hashable, list[Hashable]] = defaultdict(list)
    for key, incident in incident_of.items():
        members[incident].append(key)
    majority = sum(
        Counter(label_of[key] for key in keys).most_common(1)[0][1] for keys in members.values()
    )
    per_supplier: dict[Hashable, Counter] = defaultdict(Counter)
    for key, incident in incident_of.items():
        per_supplier[supplier_of[key]][incident] += 1
    shares = {
        str(supplier): round(max(sizes.values()) / sum(sizes.values()), 4)
        for supplier, sizes in per_supplier.items()
    }
    return {
        "complaints": len(incident_of),
        "incidents": len(members),
        "purity": round(majority / len(incident_of), 4) if incident_of else 0.0,
        "largest_incident_share": max(shares.values(), default=0.0),
        "largest_incident_share_by_supplier": shares,
    }
