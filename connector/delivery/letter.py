"""The formal notice (mise en demeure) as a PDF: French by default, English for English customers.

The words come from the language's `_letter.j2` template (so a firm can reword it like any other
template); this module only lays them out with fpdf2, in Roboto (shipped by the `font-roboto`
package: a TrueType font, so "é", "€", "œ" and Babel's narrow no-break spaces render). Files are
named for people (delivery/postal.py); the store keeps which outbox key wrote which file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.delivery.render import environment, pick_language

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "Roboto"


def font_dir() -> Path:
    import font_roboto  # type: ignore[import-untyped]  # loaded on the first letter only (start-up)
    return Path(font_roboto.__file__).resolve().parent / "files"


def letter_text(context: dict[str, Any], language: str,
                extra_dirs: tuple[Path, ...] = ()) -> str:
    language = pick_language(language)
    return environment(language, extra_dirs).get_template(f"{language}/_letter.j2").render(
        context)


def letter_pdf(context: dict[str, Any], language: str, *, title: str = "Mise en demeure",
               extra_dirs: tuple[Path, ...] = ()) -> bytes:
    """Render the letter for this reminder's context. Deterministic for a given context."""
    # fpdf2 is imported here, not at the top: it takes most of a second to import, and every
    # CLI command imports the dispatcher, which needs this module only to write letters.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    text = letter_text(context, language, extra_dirs)
    pdf = FPDF(format="A4")
    # dated by the reminder, not the clock: the same reminder gives the same bytes
    day = dt.date.fromisoformat(str(context["today"]))
    pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc))
    pdf.set_title(title)
    pdf.set_author(str(context["sender"]["name"]))
    pdf.add_font(FONT, "", str(font_dir() / "Roboto-Regular.ttf"))
    pdf.add_font(FONT, "B", str(font_dir() / "Roboto-Bold.ttf"))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(FONT, size=10.5)
    table: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.startswith("| "):
            table.append([cell.strip() for cell in line[2:].split("|")])
            continue
        if table:
            _table(pdf, table)
            table = []
        if line.startswith("## "):
            pdf.ln(2)
            pdf.set_font(FONT, "B", 12)
            pdf.multi_cell(0, 6.5, line[3:], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(FONT, "", 10.5)
        elif line.startswith("> "):
            pdf.multi_cell(0, 5.5, line[2:], align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif not line.strip():
            pdf.ln(3)
        else:
            pdf.multi_cell(0, 5.5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[list[str]]) -> None:
    with pdf.table(col_widths=(34, 22, 22, 22), text_align=("LEFT", "LEFT", "LEFT", "RIGHT"),
                   line_height=6, first_row_as_headings=True) as table:
        for cells in rows:
            row = table.row()
            for cell in (cells + ["", "", "", ""])[:4]:
                row.cell(cell)
    pdf.ln(2)


class LetterStore:
    """`<base_dir>/letters/<name>.pdf`, written atomically, for printing and registered mail."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, name: str) -> Path:
        return self.directory / (name if name.endswith(".pdf") else f"{name}.pdf")

    def write(self, name: str, content: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.path(name)
        partial = final.with_suffix(".pdf.part")
        partial.write_bytes(content)
        os.replace(partial, final)  # a crash leaves either nothing or the whole file
        return str(final)

    def exists(self, name: str) -> bool:
        return self.path(name).exists()
