# Message ladders: a handshake drawn like the diagrams in RFC 5246 §7.3 and RFC 5077 §3.1.
#
# How this works: the client's tracer (config.tracer) records one TraceEvent per
# handshake message and ChangeCipherSpec, "send" (client → server) or "recv"
# (server → client). Consecutive events in one direction form a flight; each client
# flight that has to wait for a server flight before the client may send application data
# costs one round trip, so a full handshake counts 2 RTT and an abbreviated one 1 RTT.
# Nothing here invents messages: every arrow comes from a recorded event. render_text()
# gives the terminal picture (ANSI colour only when asked), render_svg() hand-written SVG.
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

__all__ = ["Ladder", "flights", "round_trips", "message_label", "render_text", "render_svg"]

_SPECIAL = {"change_cipher_spec": "[ChangeCipherSpec]"}


def message_label(msg_type: str) -> str:
    """"server_hello_done" → "ServerHelloDone"; CCS in brackets as in the RFC diagrams."""
    return _SPECIAL.get(msg_type) or "".join(part.capitalize() for part in msg_type.split("_"))


def flights(events) -> list[tuple[str, list]]:
    """Group events into flights: [(direction, [events...]), ...] in wire order."""
    out: list[tuple[str, list]] = []
    for event in events:
        if out and out[-1][0] == event.direction:
            out[-1][1].append(event)
        else:
            out.append((event.direction, [event]))
    return out


def round_trips(events) -> int:
    """Client flights answered by a server flight before the client may send data."""
    groups = flights(events)
    return sum(1 for i, (d, _) in enumerate(groups[:-1]) if d == "send" and groups[i + 1][0] == "recv")


@dataclass
class Ladder:
    """One recorded handshake, seen from the client.

    Attributes:
        title: what the scenario shows.
        events: the client's TraceEvents in order.
        suite: negotiated IANA suite name.
        ems: whether the extended master secret (RFC 7627) was used.
        resumption: "full", "session_id" or "ticket".
        elapsed: handshake wall time in seconds.
        notes: extra lines printed under the picture.
    """

    title: str
    events: list
    suite: str
    ems: bool
    resumption: str
    elapsed: float
    notes: list[str] = field(default_factory=list)

    @property
    def rtt(self) -> int:
        return round_trips(self.events)

    @property
    def subtitle(self) -> str:
        kind = {"full": "full handshake", "session_id": "resumed by session ID",
                "ticket": "resumed by ticket"}.get(self.resumption, self.resumption)
        return (f"{self.rtt}-RTT {kind} · {self.suite} · EMS {'yes' if self.ems else 'no'} · "
                f"{self.elapsed * 1000:.1f} ms")


_COLOURS = {"send": "36", "recv": "33", "ccs": "35", "rtt": "1", "dim": "2", "title": "1;4"}


def render_text(ladder: Ladder, colour: bool = False, verbose: bool = False, width: int = 70) -> str:
    """The ladder as text lines (client column left, server column right).

    Args:
        ladder: what to draw.
        colour: add ANSI colours (only for a TTY).
        verbose: add each message's TraceEvent summary under its name.
        width: total width of the picture.
    """
    def paint(text: str, kind: str) -> str:
        return f"\x1b[{_COLOURS[kind]}m{text}\x1b[0m" if colour and text.strip() else text

    col, gutter = (width - 14) // 2, 8
    arrow_r, arrow_l, arrow_both = "-------->", "<--------", "<------->"
    lines = [paint(ladder.title, "title"), paint(ladder.subtitle, "dim"), "",
             " " * gutter + "Client".ljust(col + 14) + "Server".rjust(col - 8)]
    rtt = 0
    groups = flights(ladder.events)
    for index, (direction, events) in enumerate(groups):
        answered = direction == "send" and index + 1 < len(groups) and groups[index + 1][0] == "recv"
        for pos, event in enumerate(events):
            name = message_label(event.msg_type)
            kind = "ccs" if event.msg_type == "change_cipher_spec" else direction
            last = pos == len(events) - 1
            margin = " " * gutter
            if pos == 0 and answered:
                rtt += 1
                margin = paint(f"RTT {rtt}".ljust(gutter), "rtt")
            if direction == "send":
                text = paint(name.ljust(col), kind) + (f"  {arrow_r}" if last else "")
            else:
                text = " " * col + (f"  {arrow_l}  " if last else " " * 13) + paint(name.rjust(col - 8), kind)
            lines.append(margin + text)
            if verbose and event.summary:
                summary = event.summary[: col + 20]
                pad = 2 if direction == "send" else col + 13 + max(0, col - 8 - len(summary))
                lines.append(" " * (gutter + pad) + paint(summary, "dim"))
        lines.append("")
    lines.append(" " * gutter + "Application Data".ljust(col) + f"  {arrow_both}  " + "Application Data".rjust(col - 8))
    lines += [""] + [paint(note, "dim") for note in ladder.notes]
    return "\n".join(line.rstrip() for line in lines)


def render_svg(ladder: Ladder) -> str:
    """The ladder as a standalone SVG document (no external resources)."""
    left, right, width = 150, 550, 700
    step, top = 34, 110
    rows: list[str] = []
    y = top
    rtt = 0
    groups = flights(ladder.events)
    for index, (direction, events) in enumerate(groups):
        answered = direction == "send" and index + 1 < len(groups) and groups[index + 1][0] == "recv"
        if answered:
            rtt += 1
            rows.append(f'<text x="20" y="{y + 16}" class="rtt">RTT {rtt}</text>')
        for event in events:
            x1, x2 = (left, right) if direction == "send" else (right, left)
            ccs = event.msg_type == "change_cipher_spec"
            cls = "ccs" if ccs else direction
            label = escape(message_label(event.msg_type))
            rows.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y + 22}" class="{cls}" marker-end="url(#arrow)"/>')
            rows.append(f'<text x="{(left + right) // 2}" y="{y + 8}" class="label {cls}">{label}'
                        f'<title>{escape(event.summary or label)} ({event.length} bytes)</title></text>')
            y += step
        y += 12
    rows.append(f'<line x1="{left}" y1="{y + 11}" x2="{right}" y2="{y + 11}" class="app" '
                f'marker-start="url(#arrow)" marker-end="url(#arrow)"/>')
    rows.append(f'<text x="{(left + right) // 2}" y="{y + 4}" class="label app">Application Data</text>')
    height = y + 50
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Menlo, Consolas, monospace" font-size="14">',
        "<style>line{stroke-width:1.6} .send{stroke:#0b7285;fill:#0b7285} .recv{stroke:#b35c00;fill:#b35c00}"
        " .ccs{stroke:#862e9c;fill:#862e9c} .app{stroke:#2b8a3e;fill:#2b8a3e} .label{text-anchor:middle;stroke:none}"
        " .rtt{font-weight:bold;fill:#333} .axis{stroke:#555;stroke-width:2} .head{font-weight:bold;text-anchor:middle}"
        " .sub{fill:#555;font-size:12px}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="20" y="26" font-weight="bold" font-size="16">{escape(ladder.title)}</text>',
        f'<text x="20" y="48" class="sub">{escape(ladder.subtitle)}</text>',
        f'<text x="{left}" y="{top - 22}" class="head">Client</text>',
        f'<text x="{right}" y="{top - 22}" class="head">Server</text>',
        f'<line x1="{left}" y1="{top - 12}" x2="{left}" y2="{height - 15}" class="axis"/>',
        f'<line x1="{right}" y1="{top - 12}" x2="{right}" y2="{height - 15}" class="axis"/>',
        *rows,
        "</svg>",
        "",
    ])
