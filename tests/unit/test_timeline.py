"""Lint's replay keeps every statement's context as views of one timeline.

Each reads like the dict it replaces.
"""

from __future__ import annotations

import random

import pytest

from studio.plan.locks.timeline import Timeline


def test_a_view_keeps_its_moment() -> None:
    line = Timeline([("a", 1), ("b", 2)])
    before = line.view()
    line.put("a", 10)
    line.remove("b")
    line.put("c", 3)
    assert dict(before) == {"a": 1, "b": 2}
    assert dict(line.view()) == {"a": 10, "c": 3}
    assert "b" in before and "b" not in line.view()
    assert before.get("c") is None and line.view().get("c") == 3
    with pytest.raises(KeyError):
        line.view()["b"]


@pytest.mark.parametrize("seed", range(20))
def test_every_view_equals_the_dict_of_its_moment_in_dict_order(seed: int) -> None:
    rng = random.Random(seed)
    keys = [f"k{i}" for i in range(12)]
    initial = {k: rng.random() for k in rng.sample(keys, 5)}
    current = dict(initial)
    line = Timeline(initial.items())
    taken = [(line.view(), dict(current))]
    for step in range(200):
        key = rng.choice(keys)
        if rng.random() < 0.3:
            current.pop(key, None)
            line.remove(key)
        else:
            current[key] = step
            line.put(key, step)
        taken.append((line.view(), dict(current)))
    for view, expected in taken:
        assert list(view.items()) == list(expected.items())  # same order as the dict
        assert len(view) == len(expected)
        assert view == expected
        for k in keys:
            assert (k in view) == (k in expected)
            assert view.get(k, "none") == expected.get(k, "none")
