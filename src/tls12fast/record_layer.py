# The connection's record layer: one RecordReader, one RecordWriter and one
# HandshakeJoiner from the configured twins, plus the ChangeCipherSpec key switch.
#
# How this works:
# - The reader's buffer holds at most `max_buffered_input` bytes: input of at most
#   `one_feed` bytes goes in with one reader.feed() (Connection.receive_data); larger
#   input goes through feed_slices(), in slices of the free space, and the connection
#   drains every complete record between slices, so any amount of input is accepted and,
#   between calls, at most one partial record (less than one maximal record,
#   5 + 2^14 + 2048 bytes, RFC 5246 §6.2.3) stays buffered. Nothing decrypted is kept
#   here.
# - install_key_block() splits the key block (RFC 5246 §6.3) with the suite's layout
#   (computed once per suite, key_block_layout()) and builds both directions'
#   protections as *pending* states; change_write() sends ChangeCipherSpec and then
#   switches the writer, change_read() switches the reader when the peer's CCS arrives
#   (RFC 5246 §7.1). A handshake message may not span a key change, so change_read()
#   refuses while the joiner holds a partial message.
from __future__ import annotations

from .enums import ContentType
from .errors import UnexpectedMessage
from .keyschedule import key_block_offsets

__all__ = ["RecordLayer"]

# A partial record left in the reader after draining is shorter than one maximal
# ciphertext record (5-byte header + 2^14 + 2048, RFC 5246 §6.2.3).
_MAX_PARTIAL = 5 + 16384 + 2048 - 1
_CCS = int(ContentType.change_cipher_spec)
_LAYOUTS: dict = {}  # suite code -> key block layout (see key_block_layout)


class RecordLayer:
    """Framing, protection and handshake reassembly for one connection.

    Args:
        record: the record twin module (RecordReader, RecordWriter, new_protection).
        codec: the codec twin module (HandshakeJoiner).
        is_server: True for the server side (accepts legacy record versions on the
            first ClientHello, RFC 5246 App. E.1).
        max_fragment: largest plaintext per record we send.
        max_handshake_size: largest handshake message we accept.
        max_buffered_input: capacity of the reader's buffer (at least 32768 bytes).
    """

    __slots__ = ("reader", "writer", "joiner", "_record", "_pending_read", "_pending_write",
                 "is_server", "_max_input", "one_feed")

    def __init__(self, record, codec, is_server: bool, max_fragment: int = 16384,
                 max_handshake_size: int = 65536, max_buffered_input: int = 65536):
        self._record = record
        self.reader = reader = record.RecordReader(max_buffered_input)
        self._max_input = max_buffered_input
        # Input of at most this size always fits next to a leftover partial record, so it
        # goes in with one feed (Connection.receive_data() relies on this too).
        self.one_feed = max_buffered_input - _MAX_PARTIAL
        reader.legacy_version_ok = is_server
        self.writer = record.RecordWriter(max_fragment)
        self.joiner = codec.HandshakeJoiner(max_handshake_size)
        self._pending_read = None
        self._pending_write = None
        self.is_server = is_server

    def feed_slices(self, data):
        """Feed `data` (more than `one_feed` bytes) to the reader in slices that fit.

        A generator: after each slice it yields, and the caller must drain every complete
        record from the reader before resuming it (only a partial record may be left).

        Raises:
            TLSError subclasses from the reader (bad header, overflow).
        """
        reader = self.reader
        view = memoryview(data).cast("B")
        total = len(view)
        pos = 0
        while pos < total:
            step = self._max_input - reader.buffered()  # > 0: only a partial record is left
            reader.feed(view[pos:pos + step])
            pos += step
            yield

    @staticmethod
    def key_block_layout(suite) -> tuple:
        """keyschedule.key_block_offsets() for `suite`, cached per suite."""
        layout = _LAYOUTS.get(suite.code)
        if layout is None:
            layout = _LAYOUTS[suite.code] = key_block_offsets(suite.mac_len, suite.key_len,
                                                              suite.iv_len)
        return layout

    def install_key_block(self, suite, block: bytes, layout: tuple,
                          encrypt_then_mac: bool) -> None:
        """Prepare both directions' protections from a key block (not yet active).

        Args:
            suite: the negotiated CipherSuite.
            block: the key block (RFC 5246 §6.3), at least layout[0] bytes.
            layout: key_block_layout(suite).
            encrypt_then_mac: RFC 7366 negotiated (CBC suites only).
        """
        _, a, b, c, d, e, f, g = layout
        new = self._record.new_protection
        mac = suite.mac
        if mac:  # CBC: MAC-then-encrypt unless RFC 7366 was negotiated
            etm = bool(encrypt_then_mac)
            client = new(suite.cipher, block[c:d], block[e:f], mac, block[a:b], etm)
            server = new(suite.cipher, block[d:e], block[f:g], mac, block[b:c], etm)
        else:
            client = new(suite.cipher, block[c:d], block[e:f])
            server = new(suite.cipher, block[d:e], block[f:g])
        if self.is_server:
            self._pending_read, self._pending_write = client, server
        else:
            self._pending_read, self._pending_write = server, client

    def change_write(self) -> None:
        """Send ChangeCipherSpec and switch the writer to the pending keys."""
        self.writer.write(_CCS, b"\x01")
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
