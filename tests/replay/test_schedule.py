"""Replay timing with a fake clock: idle limit first, then speed, one epoch, no drift."""

from __future__ import annotations

from streamcli import events
from streamcli.sources.replay.schedule import FRAME_SLACK, Schedule, timed_batches


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now


class FakeStop:
    """`threading.Event` stand-in whose `wait` advances the fake clock."""

    def __init__(self, clock: FakeClock, jitter: float = 0.0) -> None:
        self.clock = clock
        self.jitter = jitter

    def is_set(self) -> bool:
        return False

    def wait(self, seconds: float) -> bool:
        self.clock.sleeps.append(seconds)
        self.clock.now += seconds + self.jitter  # a real sleep oversleeps a little
        return False


def test_idle_limit_applies_before_speed():
    clock = FakeClock()
    schedule = Schedule(speed=2.0, idle_limit=2.0, clock=clock)
    deadlines = [schedule.deadline(t) - 1000.0 for t in (0.0, 1.0, 5.0, 6.0, 60.0)]
    # gaps 0, 1, 4→2, 1, 54→2; elapsed 0, 1, 3, 4, 6; divided by speed 2
    assert deadlines == [0.0, 0.5, 1.5, 2.0, 3.0]


def test_no_drift_over_a_thousand_events_even_when_sleeps_overshoot():
    clock = FakeClock()
    schedule = Schedule(speed=1.0, clock=clock)
    batch = [events.text(i * 0.01, "x") for i in range(1, 1001)]
    lateness = []
    for out in timed_batches([batch], schedule, FakeStop(clock, jitter=0.002), clock):
        lateness += [clock.now - (1000.0 + e["t"]) for e in out]
    # Every event came out, none later than one sleep's overshoot (the schedule has one
    # epoch, so overshoots do not add up) and none earlier than the frame slack.
    assert len(lateness) == 1000
    assert max(lateness) <= 0.002 + 1e-9
    assert min(lateness) >= -FRAME_SLACK
    assert min(clock.sleeps) < 0.01  # sleeps shrink to catch up


def test_events_within_a_frame_share_one_wake_up():
    clock = FakeClock()
    batch = [events.text(i * 0.001, "x") for i in range(1, 1001)]  # 1,000 events a second
    released = list(timed_batches([batch], Schedule(1.0, clock=clock), FakeStop(clock), clock))
    assert sum(len(b) for b in released) == 1000
    assert len(clock.sleeps) <= 1.0 / FRAME_SLACK + 1  # one per 1/60 s, not one per event


def test_events_already_due_travel_together_and_speed_zero_never_waits():
    clock = FakeClock()
    batch = [events.text(0.0, "a"), events.text(0.0, "b"), events.text(2.0, "c")]
    out = list(timed_batches([batch], Schedule(1.0, clock=clock), FakeStop(clock), clock))
    assert [[e["text"] for e in b] for b in out] == [["a", "b"], ["c"]]
    assert clock.sleeps == [2.0]

    clock = FakeClock()
    out = list(timed_batches([batch], Schedule(0.0, clock=clock), FakeStop(clock), clock))
    assert out == [batch] and clock.sleeps == []


def test_backwards_or_absurd_times_do_not_break_the_schedule():
    clock = FakeClock()
    schedule = Schedule(1.0, idle_limit=1.0, clock=clock)
    assert [schedule.deadline(t) - 1000.0 for t in (5.0, 3.0, 1e12, float("nan"))] == [
        1.0,
        1.0,
        2.0,
        2.0,
    ]


def test_absurd_gaps_and_speeds_are_clamped_and_waited_in_slices():
    from streamcli.sources.replay.schedule import MAX_GAP, MAX_WAIT

    for speed, times in ((1.0, (0.0, 9.3e9, 1e308)), (1e-300, (0.0, 1.0, 2.0))):
        clock = FakeClock()
        schedule = Schedule(speed=speed, clock=clock)
        batch = [events.text(t, "x") for t in times]
        out = list(timed_batches([batch], schedule, FakeStop(clock), clock=clock))
        assert sum(len(b) for b in out) == 3
        assert clock.now - 1000.0 <= 2 * MAX_GAP + 1
        assert clock.sleeps and max(clock.sleeps) <= MAX_WAIT
