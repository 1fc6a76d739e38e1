"""The alignment's progress bar: one bar over the pipeline's stages, with the time left.

A book takes minutes in the app; a step name with no estimate looked frozen.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Share of the progress bar for each stage the pipeline reports.
STAGES = {"loading the model": (0.0, 0.05), "embedding": (0.05, 0.6),
          "source windows": (0.6, 0.7), "source clauses": (0.7, 0.8),
          "target windows": (0.8, 0.87), "target clauses": (0.87, 0.95), "aligning": (0.95, 1.0),
          "unsupported spans": (0.96, 0.99)}
# Too early to say: the first items include a model's warm-up.
MIN_SECONDS_FOR_ESTIMATE = 1.0


def duration(seconds: float) -> str:
    """``about 2 min`` / ``about 40 s``."""
    if seconds >= 90:
        return f"about {round(seconds / 60)} min"
    return f"about {max(1, round(seconds))} s"


def reporter(bar, clock: Callable[[], float] = time.monotonic) -> Callable[[str, int, int], None]:
    """Map pipeline stages onto one bar; the text names the step and the time it has left.

    A fused model embeds once per member (``embedding (use-m3)``, then
    ``embedding (e5-small)``): each runs through the embedding share, and the
    text says which member is running. The estimate is the step's own rate so
    far, since steps run at very different speeds.
    """
    started: dict[str, float] = {}

    def report(stage: str, done: int, total: int) -> None:
        low, high = STAGES.get(stage.split(" (")[0], (0.0, 1.0))
        share = done / total if total else 1.0
        begun = started.setdefault(stage, clock())
        elapsed = clock() - begun
        text = f"{stage}: {done:,} of {total:,}"
        if 0 < done < total and elapsed >= MIN_SECONDS_FOR_ESTIMATE:
            text += f" · {duration(elapsed / done * (total - done))} left in this step"
        bar.progress(min(1.0, low + (high - low) * share), text=text)
    return report
