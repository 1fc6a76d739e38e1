"""The alignment's progress bar says how long the step has left."""

from __future__ import annotations

from ui.progress import duration, reporter


class Bar:
    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []

    def progress(self, value: float, text: str) -> None:
        self.shown.append((value, text))


def test_the_bar_names_the_step_and_its_time_left():
    now = [100.0]
    bar = Bar()
    report = reporter(bar, clock=lambda: now[0])
    report("embedding (e5-small)", 0, 2000)
    now[0] += 30
    report("embedding (e5-small)", 500, 2000)  # 500 in 30 s: 1,500 more take 90 s
    assert bar.shown[-1] == (0.05 + 0.55 * 0.25,
                             "embedding (e5-small): 500 of 2,000 · about 2 min left in this step")
    report("aligning", 0, 10)
    report("aligning", 10, 10)
    assert bar.shown[-1] == (1.0, "aligning: 10 of 10")


def test_durations_read_as_a_person_says_them():
    assert [duration(s) for s in (0.2, 40, 89, 150)] == [
        "about 1 s", "about 40 s", "about 89 s", "about 2 min"]


def test_the_bar_never_goes_back_through_the_pipeline_stages():
    """The pipeline's order: embedding, windows, clauses, aligning starts, the unsupported
    spans are checked, aligning ends. A stage the bar did not know sent it back to 0."""
    bar = Bar()
    report = reporter(bar, clock=lambda: 0.0)
    for stage in ("embedding (use-m3)", "source windows", "source clauses", "target windows",
                  "target clauses"):
        report(stage, 0, 4)
        report(stage, 4, 4)
    report("aligning", 0, 1)
    report("unsupported spans", 0, 40)
    report("unsupported spans", 40, 40)
    report("aligning", 1, 1)
    values = [value for value, _ in bar.shown]
    assert values == sorted(values) and values[-1] == 1.0
