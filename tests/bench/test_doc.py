from bench.doc import merge


def test_a_run_replaces_its_own_section_and_keeps_every_other_text():
    """When one benchmark writes docs/benchmarks.md, do the other benchmarks' sections and unmarked notes survive?"""
    current = ("# Benchmarks\n\n`make bench` writes one section per database.\n\n"
               "<!-- bench:sqlite -->\n## SQLite\nold figures\n<!-- /bench:sqlite -->\n\n"
               "<!-- bench:faults -->\n## Faults\n0 lost\n<!-- /bench:faults -->\n\n"
               "## A note written by hand\nkept\n")
    written = merge(current, "sqlite", "## SQLite\nnew figures\n")
    assert "new figures" in written and "old figures" not in written
    assert "## Faults\n0 lost" in written
    assert "## A note written by hand\nkept" in written
    assert written.count("# Benchmarks") == 1 and written.count("writes one section") == 1
    assert merge(written, "sqlite", "## SQLite\nnew figures\n") == written


def test_a_new_section_is_added_in_its_place():
    """Does a benchmark's first run add its section after the databases' sections, whatever the order of runs?"""
    written = merge(merge("", "live_soak", "## Live soak\n"), "postgresql", "## PostgreSQL\n")
    assert written.index("## PostgreSQL") < written.index("## Live soak")
