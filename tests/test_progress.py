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
