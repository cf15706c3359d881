"""Turn a reminder payload into words: subject, plain text and HTML, in the customer's language.

Templates are Jinja2 files under connector/rules/templates/<lang>/<name>.j2 (French by default,
English available). A level template fills the blocks `subject`, `intro` and `closing`; the
language's layout writes the rest (invoice list, credit notes, amount to pay, how to pay).
Amounts and dates are formatted with Babel (1 234,56 € in French). Plurals go through gettext's
`ngettext` (Jinja's i18n extension) with the language's CLDR plural rule, so "1 jour de retard" and
"0 jour" follow French grammar, not English's. A `templates_dir` in the config is searched first:
a file there overrides the packaged template of the same name (fr/first.j2, _subject.j2, ...).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from connector import formatting
from connector.errors import ConfigError
from connector.formatting import LOCALES

TEMPLATES = Path(__file__).resolve().parent.parent / "rules" / "templates"
LANGUAGES = tuple(LOCALES)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _environment(language: str, extra_dirs: tuple[Path, ...]) -> Environment:
    loaders = [FileSystemLoader(str(d)) for d in extra_dirs] + [FileSystemLoader(str(TEMPLATES))]
    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                      autoescape=False, keep_trailing_newline=False, extensions=["jinja2.ext.i18n"])

    def ngettext(singular: str, plural: str, count: int) -> str:
        return formatting.ngettext(singular, plural, count, language)

    # newstyle: ngettext("%(num)d jour", "%(num)d jours", n) fills %(num)d itself
    env.install_gettext_callables(gettext=lambda text: text, ngettext=ngettext,  # type: ignore[attr-defined]
                                  newstyle=True)
    env.filters["money"] = _remembered(
        lambda value, currency="EUR": formatting.money(value, currency, language))
    env.filters["rate"] = _remembered(lambda value: formatting.rate(value, language))
    env.filters["date"] = _remembered(lambda value: formatting.long_date(value, language))
    # capitalize's lowercasing would turn "facture F2026-1" into "Facture f2026-1"
    env.filters["cap"] = lambda value: str(value)[:1].upper() + str(value)[1:]
    return env


def _remembered(format_: Callable[..., str]) -> Callable[..., str]:
    """The same amount, rate or date is formatted once per run, not once per message (Babel
    takes tens of microseconds a call). Keyed by the value's type and text: 1.0 and 1.00 are
    equal Decimals that a format may tell apart."""
    done: dict[tuple[Any, ...], str] = {}

    def formatted(value: Any, *args: Any, **kwargs: Any) -> str:
        key = (type(value), str(value), args, tuple(sorted(kwargs.items())))
        text = done.get(key)
        if text is None:
            if len(done) > 65536:
                done.clear()
            text = done[key] = format_(value, *args, **kwargs)
        return text
    return formatted


_envs: dict[tuple[str, tuple[Path, ...]], Environment] = {}


def environment(language: str, extra_dirs: tuple[Path, ...] = ()) -> Environment:
    key = (language, extra_dirs)
    if key not in _envs:
        _envs[key] = _environment(language, extra_dirs)
    return _envs[key]


def pick_language(language: str | None, default: str = "fr") -> str:
    return language if language in LOCALES else default


def render(template: str, context: dict[str, Any], language: str,
           extra_dirs: tuple[Path, ...] = ()) -> Rendered:
    """Render one level template; raises ConfigError when the template does not exist."""
    language = pick_language(language)
    env = environment(language, extra_dirs)
    name = f"{language}/{template}.j2"
    try:
        level_template = env.get_template(name)
    except TemplateNotFound:
        known = ", ".join(known_templates(language, extra_dirs))
        raise ConfigError(f"no template {name!r} (known: {known})",
                          key="policy.levels.template") from None
    subject = level_template.render({**context, "layout": "_subject.j2"}).strip()
    text = level_template.render({**context, "layout": f"{language}/_text.j2"})
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return Rendered(subject=" ".join(subject.split()), text=text, html=text_to_html(text, language))


def known_templates(language: str, extra_dirs: tuple[Path, ...] = ()) -> list[str]:
    return sorted({p.stem for d in (*extra_dirs, TEMPLATES) for p in (d / language).glob("*.j2")
                   if not p.stem.startswith("_")})


PAY_LINE = re.compile(r"^(?P<label>(Payer|Pay) [^:]*?)\s?:\s(?P<url>https://\S+)$")
BUTTON = ('<p><a href="{url}" style="display: inline-block; padding: 10px 18px; '
          'background: #1d4ed8; color: #ffffff; text-decoration: none; border-radius: 4px; '
          'font-weight: bold">{label}</a></p>')


def _button(line: str, blocks: list[str]) -> bool:
    """A "Payer en ligne … : https://…" line of the text part is a button in the HTML part."""
    match = PAY_LINE.match(line)
    if match is None:
        return False
    blocks.append(BUTTON.format(url=html.escape(match["url"], quote=True),
                                label=html.escape(match["label"])))
    return True


def text_to_html(text: str, language: str) -> str:
    """The same words as the text part, as simple accessible HTML (paragraphs and lists)."""
    return (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8"></head>'
            f'<body style="font-family: sans-serif; line-height: 1.4">\n{html_fragment(text)}\n'
            f'</body></html>\n')


def html_fragment(text: str) -> str:
    """The text's paragraphs and lists as HTML blocks, without a page around them (for a
    source that wraps messages in its own layout)."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        buttons: list[str] = []
        lines = [line for line in paragraph.splitlines() if not _button(line, buttons)]
        bullets = [line[2:] for line in lines if line.startswith("- ")]
        plain = [line for line in lines if not line.startswith("- ")]
        if plain:
            blocks.append("<p>" + "<br>".join(html.escape(line) for line in plain) + "</p>")
        if bullets:
            blocks.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in bullets) + "</ul>")
        blocks += buttons
    return "\n".join(blocks)
