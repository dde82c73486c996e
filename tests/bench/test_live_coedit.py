"""The co-editing keystroke bench of ``make bench``, tiny: it runs end to end and measures what it says."""

from bench.live_coedit import render, run


def test_three_clients_keystroke_bench_runs_and_measures(real_wall_clock):
    """Does the keystroke bench, with three clients in the room and a two-second typist, reach every other screen
    on both sides, read the server's memory and count the bytes the typing stored, without writing a report?"""
    result = run(sizes=(3,), keystrokes=4, rounds=2, typing_seconds=2, keys_per_second=3, hour_keys=30, write=False)
    figures = result["sizes"][3]
    assert figures["missed"] == 0 and not figures["refused"], figures
    assert figures["samples"] == 2 * 4 * 2  # two other screens, four keystrokes, two rounds: nothing dropped
    assert len(figures["ratios"]) == 2 and figures["mda"][1] > 0 and figures["bare"][1] > 0
    assert 20 < figures["rss"] < 2000
    typing = result["typing"]
    assert typing["keys"] == 6 and not typing["refused"], typing
    assert typing["grown"]["crdt"] > 0 and typing["grown"]["audit_rows"] >= typing["keys"], typing
    assert result["hour"]["keys"] == 30 and result["hour"]["state"] > result["hour"]["text"] > 0, result["hour"]
    assert "Stored bytes per hour" in render(result)
