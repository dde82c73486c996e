"""The live soak of ``make soak``, short: reconnecting clients lose nothing and end with the database's state."""

from bench.live_soak import soak


def test_five_clients_dropping_connections_lose_and_duplicate_nothing(real_wall_clock):
    """Five clients writing minutes for a few seconds, dropping and resending: is every acknowledged change stored
    exactly once, and do every client's live view (kept by the server's pushes) and final view equal the database?"""
    result = soak(clients=5, seconds=5, drop_chance=0.2)
    assert result["acknowledged"] > 0 and result["clients_that_dropped"] == 5, result  # each drops at least once
    assert result["resent"] >= 5, result  # ... and sends its change again after coming back
    assert result["ok"], result
    assert result["clients_whose_live_view_differs"] == 0, result
