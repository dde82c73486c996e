"""Virus scan through clamd (Debian's ``clamav-daemon``) with its INSTREAM command: a client of 40 lines.

The protocol: send ``zINSTREAM\\0``, then the bytes in chunks each preceded by its length as a 4-byte
big-endian number, then a zero length; clamd answers ``stream: OK``, ``stream: <name> FOUND`` or
``... ERROR``. Anything else, or no answer in time, counts as "not scanned": the upload is refused
(fail closed). Only the demo may switch scanning off (``MDA_INSECURE_DEMO_SKIP_SCAN``), and it says so.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from mda.core.errors import ServiceError

CHUNK = 64 * 1024
UNAVAILABLE = ("De virusscanner is op dit moment niet bereikbaar. Uit veiligheid is het document niet "
               "opgeslagen. Probeer het over enkele minuten opnieuw of neem contact op met de beheerder.")
INFECTED = ("Het bestand bevat een virus of schadelijke code en is niet opgeslagen. "
            "Neem contact op met de ICT-afdeling van uw organisatie.")


class ScannerUnavailable(ServiceError):
    """clamd could not be asked, or gave no usable answer (503)."""

    def __init__(self):
        super().__init__(UNAVAILABLE, field="file", status=503)


class Infected(ServiceError):
    """clamd found a signature in the file (422); the signature name goes to the audit trail only."""

    def __init__(self, signature: str):
        super().__init__(INFECTED, field="file")
        self.signature = signature


@dataclass(frozen=True)
class ClamdScanner:
    """Ask the clamd at *address*: a Unix socket path, or ``host:port`` for TCP."""

    address: str
    timeout: float = 30.0

    def _connect(self) -> socket.socket:
        if ":" in self.address and not self.address.startswith("/"):
            host, port = self.address.rsplit(":", 1)
            return socket.create_connection((host, int(port)), timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.address)
        return sock

    def scan(self, data: bytes) -> str:
        """Return ``"clamav"`` when clean; raise :class:`Infected` or :class:`ScannerUnavailable`."""
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), CHUNK):
                    chunk = data[start:start + CHUNK]
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                answer = b""
                while not answer.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    answer += part
        except OSError:
            raise ScannerUnavailable() from None
        text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
        if text.endswith(": OK"):
            return "clamav"
        if text.endswith(" FOUND"):
            raise Infected(text.split(": ", 1)[-1].removesuffix(" FOUND")[:100])
        raise ScannerUnavailable()  # "INSTREAM size limit exceeded. ERROR" and the like: not scanned


@dataclass(frozen=True)
class SkipScanner:
    """The demo's switch: no scan at all, and every upload says so in its record."""

    def scan(self, data: bytes) -> str:
        return "uitgeschakeld (demo)"


def from_config(config, *, demo_account: bool = False):
    """The scanner the configuration asks for: clamd, except for a demo account's upload when the demo switch is on
    (as ``MDA_INSECURE_DEMO_SKIP_2FA``, it never affects real accounts)."""
    if config.get("INSECURE_DEMO_SKIP_SCAN") and demo_account:
        return SkipScanner()
    return ClamdScanner(config["CLAMD_ADDRESS"], float(config.get("CLAMD_TIMEOUT", 30)))
