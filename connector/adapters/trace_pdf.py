"""The small PDF a source keeps as the trace of a reminder (Pennylane appendix, Sage attachment)."""

from __future__ import annotations


def trace_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF 1.4 with Helvetica text; enough for a trace, no dependency needed.

    Text is encoded in WinAnsi (cp1252) so French accents survive; longer texts are cut to what
    fits on the page. Formal notices use the full letter renderer (channels/letter.py) instead.
    """
    rows = [title, ""] + [chunk for line in lines for chunk in _wrap(line, 95)]
    ops = ["BT", "/F1 10 Tf", "13 TL", "50 800 Td"]
    for number, row in enumerate(rows[:58]):
        size = "14" if number == 0 else "10"
        ops.append(f"/F1 {size} Tf ({_pdf_text(row)}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("cp1252", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _wrap(line: str, width: int) -> list[str]:
    words, rows, current = line.split(" "), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            rows.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    rows.append(current)
    return [row[i:i + width] for row in rows for i in range(0, max(len(row), 1), width)]


def _pdf_text(text: str) -> str:
    clean = "".join(ch if ch >= " " else " " for ch in text)
    return clean.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
