"""One monotone pass that may restart anywhere: blocks of a translation in another order.

Coverage that keeps paragraphs of its source but tells them in another order
is a sequence of *blocks*: inside a block the sentences follow each other as
in a translation (1-1, 1-n, n-m beads, with gaps), between blocks the target
position jumps. A bead DP over source rows, as the parallel aligner's
(:func:`align.parallel.bead_gains`, the same beads and gains), over the whole
matrix instead of a corridor, with one more move: the target position may go
anywhere in the same row at cost ``jump``. Like the "jump" transition of an
HMM word aligner (Vogel et al. 1996) with a flat jump distribution: staying on
the diagonal is free, leaving it costs the same wherever it lands.

The DP does not know which target sentences a block before it took, so two
blocks may claim one; the bead with the larger gain keeps it.

Time and memory are O(n · m · bead types): for pairs of news or chapter size
(the continuum aligner's ``jump_cells`` bounds it).
"""

from __future__ import annotations

import numpy as np

from .parallel import ParallelParams, Windows, bead_gains, bead_types, length_ratio
from .parallel import _confidence as confidence

Bead = tuple[list[int], list[int], float]


def align_jumps(src: Windows, tgt: Windows, p: ParallelParams, jump: float) -> list[Bead]:
    """Linked beads ``[(src_ids, tgt_ids, confidence)]`` of the best path with jumps,
    in source order.

    Unmatched sentences are not returned: every sentence that no bead holds is.
    """
    n, m = src.n, tgt.n
    ratio = length_ratio(src, tgt)
    types = [(a, b) for a, b in bead_types(p.max_bead, p.max_side)
             if a <= len(src.vecs) and b <= len(tgt.vecs)]
    insertion, jumped = types.index((0, 1)), len(types)
    score = np.full((n + 1, m + 1), -np.inf)
    back = np.full((n + 1, m + 1), -1, dtype=np.int8)
    gains = np.zeros((n + 1, m + 1), dtype=np.float32)
    origin = np.zeros(n + 1, dtype=int)
    score[0, 0] = 0.0
    for i in range(n + 1):
        for t, (a, b) in enumerate(types):
            if i < a or t == insertion:
                continue
            starts = np.arange(m + 1 - b)
            gain = (np.full(len(starts), p.skip) if b == 0
                    else bead_gains(src, tgt, a, b, i - a, starts, ratio, p))
            total = score[i - a, starts] + gain
            cells = starts + b
            better = total > score[i, cells]
            score[i, cells[better]] = total[better]
            back[i, cells[better]] = t
            gains[i, cells[better]] = gain[better]
        # 0-1 beads chain within the row (see align_parallel), then the jump.
        row = score[i]
        steps = np.arange(m + 1) * p.skip
        chained = np.maximum.accumulate(row - steps) + steps
        via = np.concatenate([[False], chained[1:] > row[1:] + 1e-12])
        back[i, via], gains[i, via] = insertion, p.skip
        row = np.maximum(row, chained)
        origin[i] = int(np.argmax(row))
        via = row < row[origin[i]] - jump
        # A skip that gains (skip > 0) reaches the origin along the row: the cells it passes
        # through keep their own way in, or the walk back would jump to them again.
        root = origin[i]
        while root > 0 and back[i, root] == insertion:
            root -= 1
        via[root:origin[i]] = False
        back[i, via] = jumped
        score[i] = np.where(via, row[origin[i]] - jump, row)
    beads: list[Bead] = []
    i, j = n, int(np.argmax(score[n]))
    while i > 0 or j > 0:
        t = back[i, j]
        if t == jumped:
            j = origin[i]
            continue
        a, b = types[t]
        if a and b:
            beads.append((list(range(i - a, i)), list(range(j - b, j)), float(gains[i, j])))
        i, j = i - a, j - b
    beads.reverse()
    return _one_claim_each(beads, p)


def _one_claim_each(beads: list[Bead], p: ParallelParams) -> list[Bead]:
    """Give each target sentence to the bead with the larger gain; beads left without one go."""
    owner: dict[int, int] = {}
    for k, (_, tgt, gain) in enumerate(beads):
        for j in tgt:
            if j not in owner or beads[owner[j]][2] < gain:
                owner[j] = k
    out = []
    for k, (src, tgt, gain) in enumerate(beads):
        kept = [j for j in tgt if owner[j] == k]
        if kept:
            out.append((src, kept, confidence(gain, p)))
    return out
