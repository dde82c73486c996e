"""The CRDT core of co-edited pieces (:mod:`mda.live.crdt`) under random interleavings, duplicates and late
deliveries: an oracle of plain sets of tokens, written apart from the CRDT."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text, merge_updates

from mda.live import crdt


class Replica:
    """One browser's copy: a document whose own edits become updates to send."""

    def __init__(self, state: bytes):
        self.doc = Doc()
        self.text = self.doc.get(crdt.TEXT_NAME, type=Text)
        self.doc.apply_update(state)
        self.outbox: list[bytes] = []
        self.inbox = state

    def receive(self, update: bytes) -> None:
        """Apply what arrived merged with all that arrived before: a pycrdt document applying several updates
        that each wait for an earlier one keeps only the last of them (yjs in the browser keeps them all)."""
        self.inbox = merge_updates(self.inbox, update)
        self.doc.apply_update(self.inbox)

    def type(self, position: int, token: str) -> None:
        before = self.doc.get_state()
        current = str(self.text)
        # between words only (a token typed inside another word would split it, not lose it)
        gaps = [0, len(current)] + [i for i in range(1, len(current)) if current[i - 1] == " "]
        at = gaps[position % len(gaps)]
        self.text.insert(at, f" {token} ")
        self.outbox.append(self.doc.get_update(before))


# each step: (replica, position, deliver which queued message to whom, duplicate it?)
steps = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 10_000), st.booleans()),
                 min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, order=st.randoms(use_true_random=False))
def test_replicas_converge_and_keep_every_token(steps, order):
    """Whatever the order in which three writers' updates reach the server and each other (duplicated, late,
    reordered), do all replicas and the stored state end with the same text, holding every token typed?"""
    state = crdt.initial_state("Start")
    replicas = [Replica(state) for _ in range(3)]
    in_flight: list[tuple[int, bytes]] = []  # (target: -1 the server, else a replica), update
    typed = set()
    for n, (who, position, pick, duplicate) in enumerate(steps):
        token = f"w{who}t{n}"
        typed.add(token)
        replicas[who].type(position, token)
        update = replicas[who].outbox[-1]
        in_flight += [(-1, update)] + [(r, update) for r in range(3) if r != who]
        if in_flight:  # deliver one message now, in a random order; maybe keep a copy for a second delivery
            target, message = in_flight.pop(pick % len(in_flight))
            if duplicate:
                in_flight.append((target, message))
            if target == -1:
                state, _ = crdt.merge(state, message)
            else:
                replicas[target].receive(message)
    order.shuffle(in_flight)
    for target, message in in_flight:  # the late ones, in any order
        if target == -1:
            state, _ = crdt.merge(state, message)
        else:
            replicas[target].receive(message)
    stored = crdt.text_of(state)
    assert {str(r.text) for r in replicas} == {stored}
    assert all(token in stored for token in typed | {"Start"})


def test_a_late_update_is_kept_until_its_predecessor_arrives():
    """Does the server keep an update that arrives before the one it builds on, and show both once the first
    arrives (a document snapshot would silently drop it)?"""
    writer = Replica(crdt.initial_state(""))
    writer.type(0, "eerste")
    writer.type(100, "tweede")
    state = crdt.initial_state("")
    state, text = crdt.merge(state, writer.outbox[1])
    assert "tweede" not in text
    state, text = crdt.merge(state, writer.outbox[0])
    assert text == str(writer.text) and "eerste" in text and "tweede" in text


def test_a_server_replacement_keeps_a_concurrent_edit():
    """When the server replaces the text (a correction through the form) while a writer typed elsewhere in it,
    does the result hold both the correction and the writer's words?"""
    state = crdt.initial_state("Moeder belt de wijkagent. Vader houdt zich aan het contactverbod.")
    writer = Replica(state)
    writer.type(len(str(writer.text)), "NIEUW")
    state, _update = crdt.replace_text(state, "Moeder belt Veilig Thuis. Vader houdt zich aan het contactverbod.")
    state, text = crdt.merge(state, writer.outbox[0])
    assert "Veilig Thuis" in text and "wijkagent" not in text and "NIEUW" in text


@settings(max_examples=200, deadline=None)
@given(old=st.text(max_size=40), new=st.text(max_size=40))
def test_a_server_replacement_gives_exactly_the_new_text(old, new):
    """Does replacing a piece's text on the server (a form save) give exactly the new text, whatever characters
    it holds (accents, emoji beyond the first plane: pycrdt counts positions in bytes)?"""
    state, update = crdt.replace_text(crdt.initial_state(old), new)
    assert crdt.text_of(state) == new
    assert crdt.text_of(crdt.merge(crdt.initial_state(old), update)[0]) == new


def test_broken_bytes_are_refused():
    """Is an update that is not a document update (or an oversized one) refused rather than stored?"""
    state = crdt.initial_state("tekst")
    for bad in (b"", b"\x05\x01", b"x" * (crdt.MAX_UPDATE_BYTES + 1)):
        try:
            crdt.merge(state, bad)
        except crdt.CrdtError:
            continue
        raise AssertionError(f"accepted {bad[:10]!r}")
    assert crdt.text_of(state) == "tekst"
