"""The day's letters as one printable PDF: a cover list to tick at the post office, then each letter.

Registered letters are posted by a person; printing them one file at a time is where one gets
forgotten. The batch is built from the store's to-post letters of one day (store/letters.py) and
the files the letter channel wrote; a file gone missing is listed on the cover, not silently left out.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from connector.delivery.letter import FONT, font_dir
from connector.formatting import long_date
from connector.store import letters as letter_store
from connector.store.letters import Letter
from connector.store.store import Store

HEADS: dict[str, tuple[str, ...]] = {
    "fr": ("N°", "Client", "Niveau", "Fichier", "N° de recommandé"),
    "en": ("No.", "Customer", "Level", "File", "Tracking no."),
}
COVER: dict[str, dict[str, str]] = {
    "fr": {"title": "Lettres recommandées à poster le {day}", "count": "{n} lettre(s)",
           "missing": "fichier introuvable", "after": "Après l'envoi : relance letters posted "
                                                      "CLÉ --date AAAA-MM-JJ --tracking N°"},
    "en": {"title": "Registered letters to post on {day}", "count": "{n} letter(s)",
           "missing": "file not found", "after": "Once posted: relance letters posted KEY "
                                                 "--date YYYY-MM-DD --tracking NO"},
}


@dataclass(frozen=True)
class Batch:
    pdf: bytes
    letters: list[Letter]
    missing: list[Letter]


def batch(store: Store, tenant: str, day: dt.date, names: dict[str, str],
          language: str = "fr") -> Batch:
    """`names`: customer id → name, for the cover. Letters already posted are left out."""
    from pypdf import PdfReader, PdfWriter

    todo = letter_store.listing(store, tenant, status="to_post", day=day)
    missing = [x for x in todo if not Path(x.file).exists()]
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_cover(todo, missing, day, names, language))))
    for letter in todo:
        if letter not in missing:
            writer.append(PdfReader(letter.file))
    out = io.BytesIO()
    writer.write(out)
    return Batch(out.getvalue(), todo, missing)


def _cover(todo: list[Letter], missing: list[Letter], day: dt.date, names: dict[str, str],
           language: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    lang = "en" if language == "en" else "fr"
    words = COVER[lang]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    pdf.add_font(FONT, "", str(font_dir() / "Roboto-Regular.ttf"))
    pdf.add_font(FONT, "B", str(font_dir() / "Roboto-Bold.ttf"))
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, words["title"].format(day=long_date(day, language)),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, words["count"].format(n=len(todo)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    with pdf.table(col_widths=(10, 55, 25, 60, 30), line_height=6,
                   first_row_as_headings=True) as table:
        row = table.row()
        for cell in HEADS[lang]:
            row.cell(cell)
        for number, letter in enumerate(todo, start=1):
            row = table.row()
            name = Path(letter.file).name + (f" ({words['missing']})" if letter in missing
                                             else "")
            for cell in (str(number), names.get(letter.customer_id, letter.customer_id),
                         letter.level, name, ""):
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 6, words["after"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
