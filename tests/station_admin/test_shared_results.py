"""Results shared between a web process's requests (live.shared): computed once a window, ahead when asked."""

from __future__ import annotations

import threading
import time

import pytest

from station_admin.core.models import Station, db
from station_admin.live.shared import SharedResults
from tests.conftest import wait_until

WINDOW = 0.05


@pytest.fixture
def database(central_app):
    """The seeded central database, reachable from any thread through its own connection."""
    with central_app.app_context():
        yield


def stale(results: SharedResults, key, value) -> None:
    results.get(key, WINDOW, lambda: value)
    time.sleep(WINDOW * 2)


def test_a_value_is_computed_once_a_window_and_the_first_is_waited_for():
    results, calls = SharedResults(), []

    def compute():
        calls.append(1)
        return len(calls)

    assert results.get("k", 10, compute) == 1
    assert results.get("k", 10, compute) == 1  # within the window: the same value, not computed again
    assert results.get("k", 0, compute) == 2  # no window: computed every time


def test_ahead_a_stale_value_is_answered_at_once_and_the_next_computed_on_a_thread(database):
    results = SharedResults()
    stale(results, "k", "old")
    release, threads = threading.Event(), []

    def compute():  # slow, and on a connection of its own (the request's is not shared with threads)
        threads.append(threading.current_thread().name)
        release.wait(10)
        return Station.select().count()

    began = time.monotonic()
    assert results.get("k", WINDOW, compute, ahead=True) == "old"
    assert results.get("k", WINDOW, compute, ahead=True) == "old"  # the one computation goes on; not a second
    assert time.monotonic() - began < 5  # nobody waited for the computation
    release.set()
    with db.connection_context():
        stations = Station.select().count()
    wait_until(lambda: results.get("k", 10, compute, ahead=True) == stations, message="the value computed ahead")
    assert threads == ["shared-results"]


def test_a_computation_ahead_that_fails_keeps_the_previous_value_and_is_tried_again(database, caplog):
    results, tries = SharedResults(), []
    stale(results, "k", "old")

    def failing():
        tries.append(1)
        raise RuntimeError("database went away")

    assert results.get("k", WINDOW, failing, ahead=True) == "old"
    wait_until(lambda: "database went away" in caplog.text, message="the failure logged")
    wait_until(lambda: results.get("k", WINDOW, lambda: "new", ahead=True) == "new",
               message="the next stale request computing again")
    assert tries == [1]


def test_without_ahead_the_request_that_finds_it_stale_computes_it():
    results = SharedResults()
    stale(results, "k", "old")
    assert results.get("k", WINDOW, lambda: "new") == "new"


def test_forgotten_values_are_computed_again_and_one_computed_across_the_forgetting_is_not_kept():
    results = SharedResults()
    assert results.get("k", 10, lambda: "before") == "before"
    results.forget()
    assert results.get("k", 10, lambda: "after") == "after"  # within the window, yet computed again

    def computed_while_forgotten():
        results.forget()  # a station changes while this value is worked out from what it was
        return "from before the change"

    assert results.get("j", 10, computed_while_forgotten) == "from before the change"  # its caller gets it
    assert results.get("j", 10, lambda: "fresh") == "fresh"  # nobody else does
