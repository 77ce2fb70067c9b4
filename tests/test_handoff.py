"""config.handoff: an offer holds for its block only, an inner offer hides an outer one until it ends, and another
thread does not see this one's offer."""

import threading

import pytest

from config.handoff import Handoff


def test_an_offer_holds_inside_its_block_and_an_inner_one_until_it_ends():
    handoff: Handoff[str] = Handoff("test_offer")
    assert handoff.offered() is None
    with handoff.offering("outer") as value:
        assert value == "outer" and handoff.offered() == "outer"
        with handoff.offering("inner"):
            assert handoff.offered() == "inner"
        assert handoff.offered() == "outer"
    assert handoff.offered() is None


def test_an_offer_ends_with_its_block_when_the_block_fails():
    handoff: Handoff[int] = Handoff("test_offer_failing")
    with pytest.raises(RuntimeError), handoff.offering(1):
        raise RuntimeError("the work failed")
    assert handoff.offered() is None


def test_another_thread_does_not_see_the_offer():
    handoff: Handoff[str] = Handoff("test_offer_threads")
    seen = []
    with handoff.offering("mine"):
        thread = threading.Thread(target=lambda: seen.append(handoff.offered()))
        thread.start()
        thread.join()
    assert seen == [None]
