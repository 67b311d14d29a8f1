# The connection's record layer: one RecordReader, one RecordWriter and one
# HandshakeJoiner from the configured twins, plus the ChangeCipherSpec key switch.
#
# How this works:
# - records() feeds received bytes to the reader in chunks small enough that the reader's
#   bounded buffer never overflows (at most one partial record stays buffered between
#   chunks) and yields each (content_type, plaintext) as soon as it is complete.
# - install_keys() builds both directions' protections from the suite and the key block
#   (RFC 5246 §6.3) as *pending* states; change_write() sends ChangeCipherSpec and then
#   switches the writer, change_read() switches the reader when the peer's CCS arrives
#   (RFC 5246 §7.1). A handshake message may not span a key change, so change_read()
#   refuses while the joiner holds a partial message.
from __future__ import annotations

from .enums import ContentType
from .errors import UnexpectedMessage

__all__ = ["RecordLayer"]

# Reader buffer: one maximal record (5 + 2^14 + 2048) left over plus one chunk must fit.
_READER_BUFFER = 65536
_CHUNK = 32768


class RecordLayer:
    """Framing, protection and handshake reassembly for one connection.

    Args:
        backend: the twins (tls12fast._speedups.Backend) to use.
        is_server: True for the server side (accepts legacy record versions on the
            first ClientHello, RFC 5246 App. E.1).
        max_fragment: largest plaintext per record we send.
        max_handshake_size: largest handshake message we accept.
    """

    __slots__ = ("reader", "writer", "joiner", "_record", "_pending_read", "_pending_write",
                 "is_server")

    def __init__(self, backend, is_server: bool, max_fragment: int = 16384,
                 max_handshake_size: int = 65536):
        record = backend.record
        self._record = record
        self.reader = record.RecordReader(_READER_BUFFER)
        self.reader.legacy_version_ok = is_server
        self.writer = record.RecordWriter(max_fragment)
        self.joiner = backend.codec.HandshakeJoiner(max_handshake_size)
        self._pending_read = None
        self._pending_write = None
        self.is_server = is_server

    def records(self, data):
        """Yield (content_type, plaintext) for every complete record in `data`.

        Raises:
            TLSError subclasses from the reader (bad header, bad MAC, overflow).
        """
        reader = self.reader
        total = len(data)
        if total <= _CHUNK:  # the usual case: one feed, no slicing
            if total:
                reader.feed(data)
            record = reader.next_record()
            while record is not None:
                yield record
                record = reader.next_record()
            return
        view = memoryview(data)
        pos = 0
        while True:
            if pos < total:
                reader.feed(view[pos:pos + _CHUNK])
                pos += _CHUNK
            while True:
                record = reader.next_record()
                if record is None:
                    break
                yield record
            if pos >= total:
                return

    def install_keys(self, suite, keys, encrypt_then_mac: bool) -> None:
        """Prepare both directions' protections from a KeyMaterial (not yet active).

        Args:
            suite: the negotiated CipherSuite.
            keys: keyschedule.KeyMaterial.
            encrypt_then_mac: RFC 7366 negotiated (CBC suites only).
        """
        new = self._record.new_protection
        mac = suite.mac
        etm = bool(encrypt_then_mac) and not suite.is_aead
        client = new(suite.cipher, keys.client_key, keys.client_iv, mac,
                     keys.client_mac_key, etm) if mac else new(suite.cipher, keys.client_key,
                                                                keys.client_iv)
        server = new(suite.cipher, keys.server_key, keys.server_iv, mac,
                     keys.server_mac_key, etm) if mac else new(suite.cipher, keys.server_key,
                                                                keys.server_iv)
        if self.is_server:
            self._pending_read, self._pending_write = client, server
        else:
            self._pending_read, self._pending_write = server, client

    def change_write(self) -> None:
        """Send ChangeCipherSpec and switch the writer to the pending keys."""
        self.writer.write(ContentType.change_cipher_spec, b"\x01")
        self.writer.protection = self._pending_write
        self._pending_write = None

    def change_read(self) -> None:
        """Switch the reader to the pending keys after the peer's ChangeCipherSpec.

        Raises:
            UnexpectedMessage: a handshake message is half received, or no keys are ready.
        """
        if self.joiner.pending():
            raise UnexpectedMessage("handshake message spans a ChangeCipherSpec")
        if self._pending_read is None:
            raise UnexpectedMessage("ChangeCipherSpec before keys were established")
        self.reader.protection = self._pending_read
        self._pending_read = None

    def write(self, content_type: int, data) -> None:
        """Fragment, protect and queue `data`."""
        self.writer.write(content_type, data)

    def take(self) -> bytes:
        """Everything queued for the peer."""
        return self.writer.take()
