"""The co-editing soak of ``make soak``, bounded: typists dropping off with unsent edits lose no token."""

from bench.coedit_soak import soak


def test_six_typists_in_two_pieces_dropping_off_lose_no_token(real_wall_clock):
    """Six clients typing into two shared pieces for five seconds, each dropping its connection once (at a seeded
    moment) and coming back with unsent edits: is every token stored exactly once, and do every replica and every
    stored CRDT state equal the stored text?"""
    result = soak(clients=6, pieces=2, seconds=5, drops=1)
    assert result["drops"] == result["drops_planned"] == 6, result  # deterministic: one drop per client
    assert result["tokens_typed"] > 12 and result["reconnects_with_unsent_edits"] > 0, result
    assert result["lost"] == result["doubled"] == 0, result
    assert result["replicas_differing"] == result["states_differing"] == 0, result
    assert result["ok"], result
