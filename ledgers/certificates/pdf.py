"""Render 罹災証明書 (damage certificates) and 被災証明書 as PDF, without a database.

The layout follows the 内閣府 統一様式 of the 罹災証明書 (令和2年3月 and later): number and
issue date top right, the title, a table of 世帯主住所 / 世帯主氏名 / 罹災原因 (災害発生日 and
災害名) / 被災住家の所在地 / 住家の被害の程度 (six classes, the certified one marked ■, the
others □) / optional 浸水区分 / 備考, the sentence 「上記のとおり相違ないことを証明します。」 and
the mayor line 「○○市長　氏名　印」 with the seal over 印.

All text is real text in one embedded, subsetted TrueType font, so ``pdftotext`` extracts it and
the PDF prints anywhere. The font is ``IssuerConfig.font_path``, else ``VS_CERT_FONT``, else the
IPAexGothic shipped in this package (``fonts/ipaexg.ttf``, IPA Font License v1.0); nothing is
fetched at run time. See docs/certificates.md.

Everything here is a pure function of its arguments: the same views and issuer give the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from core.settings import Settings
from core.wareki import to_wareki
from ledgers.damage import get_ruleset

__all__ = [
    "DAMAGE_CLASSES",
    "FLOOD_CLASSES",
    "CertificateError",
    "CertificateView",
    "FontNotFoundError",
    "IssuerConfig",
    "TextTooLongError",
    "UnrenderableTextError",
    "check_printable",
    "find_font",
    "format_number",
    "render_batch",
    "render_certificate",
    "sample_seal_png",
    "warm_up",
]

# The form (統一様式) lists the classes of the 指針 revision of 令和3年 in the order of its rule file;
# codes and labels come from that file (ledgers/damage/rulesets), not from here.
FORM_RULE_VERSION = "ratio-2021"
DAMAGE_CLASSES: tuple[tuple[str, str], ...] = tuple(
    (c.code, c.label) for c in get_ruleset(FORM_RULE_VERSION).classes if c.code != "none"
)

# Optional 浸水区分 row of the 統一様式.
FLOOD_CLASSES: tuple[tuple[str, str], ...] = (
    ("above_floor", "床上浸水"),
    ("below_floor", "床下浸水"),
)

CHECKED = "■"
UNCHECKED = "□"

# IPAexGothic (Ver.004.01), shipped as package data next to its licence (IPA Font License v1.0).
BUNDLED_FONT = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf"
# Fonts with TrueType outlines installed by Debian packages, tried in this order when the bundled
# one is missing (a repackaging that strips it).
_SYSTEM_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
FONT_ENV = "VS_CERT_FONT"


class CertificateError(ValueError):
    """A view or issuer that cannot be rendered as a certificate."""


class TextTooLongError(CertificateError):
    """The free text (被害の状況, 備考) does not fit on the one page of the form, even in small type."""


class FontNotFoundError(CertificateError):
    """No usable Japanese TrueType font is installed."""


class UnrenderableTextError(CertificateError):
    """A field holds characters the font has no glyph for (unmapped 外字, rare non-BMP kanji)."""

    def __init__(self, field_name: str, chars: str) -> None:
        self.field_name = field_name
        self.chars = chars
        codes = ", ".join(f"U+{ord(c):04X}" for c in chars)
        gaiji = any(0xE000 <= ord(c) <= 0xF8FF for c in chars)
        hint = " (外字: map it through the municipality's 外字 table first)" if gaiji else ""
        super().__init__(f"{field_name}: no glyph in the certificate font for {codes}{hint}")


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateView:
    """What one certificate shows; built by the certificate service from the ledger.

    ``certificate_type`` "damage" is the 罹災証明書 (a class among DAMAGE_CLASSES is required);
    "victim" is the 被災証明書 (damage other than the dwelling: 家財, 車, 事業所 …), which
    certifies that damage was reported and carries ``victim_text`` instead of a class.
    """

    number: str | int  # 交付番号, printed as 第{number}号
    issued_on: date  # 交付日 (printed in 和暦)
    head_name: str  # 世帯主氏名 (被災証明書: 氏名 / 名称)
    head_address: str  # 世帯主住所
    dwelling_location: str  # 被災住家の所在地 (被災証明書: 被害物件の所在地)
    disaster_name: str  # e.g. 令和8年○○地震
    disaster_date: date  # 災害発生日
    damage_class: str | None = None  # code in DAMAGE_CLASSES
    damage_class_label: str | None = None  # optional; must agree with the code's label
    flood_class: str | None = None  # code in FLOOD_CLASSES; None leaves out the 浸水区分 row
    notes: str = ""  # 備考
    certificate_type: Literal["damage", "victim"] = "damage"
    victim_text: str = ""  # 被害の状況 (被災証明書), free text
    reissue_of: tuple[str | int, date] | None = None  # (number, issue date) this one supersedes
    reissue_reason: str = "再調査"
    reprint_on: date | None = None  # 再交付 (reprint of this same certificate) on that date
    # The classes printed as check boxes, in order: those of the 指針 revision that judged the
    # dwelling (ledgers/damage rule set); the current six by default.
    damage_classes: tuple[tuple[str, str], ...] = DAMAGE_CLASSES


@dataclass(frozen=True)
class IssuerConfig:
    """The issuing municipality: name, mayor line and seal (all configurable)."""

    municipality_name: str  # ○○市
    mayor_name: str = ""
    mayor_title: str | None = None  # 市長 / 町長 / 村長 / 区長; derived from the name when None
    seal_png: bytes | None = None  # the mayor's seal (公印) as PNG, placed over 印
    sample_seal: bool = True  # with no seal_png: draw a red 見本 seal (True) or leave 印 bare
    font_path: str | None = None  # a TrueType (.ttf, glyf outlines) font; default: find_font()
    reprint_label: str = "再交付"

    @property
    def title(self) -> str:
        if self.mayor_title:
            return self.mayor_title
        for suffix in ("市", "町", "村", "区"):
            if self.municipality_name.endswith(suffix):
                return suffix + "長"
        return "長"

    @property
    def mayor_line(self) -> str:
        line = f"{self.municipality_name}{self.title}"
        return f"{line}　{self.mayor_name}" if self.mayor_name else line


def format_number(number: str | int) -> str:
    """交付番号 as printed: 12 -> "第12号"; a value already written 第…号 is kept."""
    text = str(number).strip()
    if not text:
        raise CertificateError("certificate number is empty")
    if text.startswith("第") and text.endswith("号"):
        return text
    return f"第{text}号"


# ---------------------------------------------------------------------------
# Font
# ---------------------------------------------------------------------------


def find_font(explicit: str | None = None) -> Path:
    """The TrueType font file to embed: ``explicit`` (``IssuerConfig.font_path``), then
    $VS_CERT_FONT, then the bundled IPAexGothic, then Debian's IPAex fonts."""
    for candidate in (explicit, Settings.from_env().certificate_font):
        if candidate:
            path = Path(candidate)
            if not path.is_file():
                raise FontNotFoundError(f"certificate font not found: {path}")
            return path
    for path in (BUNDLED_FONT, *map(Path, _SYSTEM_FONTS)):
        if path.is_file():
            return path
    raise FontNotFoundError(
        f"no Japanese TrueType font for certificates: the bundled {BUNDLED_FONT} is missing "
        f"(reinstall the package, or `apt-get install fonts-ipaexfont-gothic`), or set {FONT_ENV} to a .ttf file"
    )


@dataclass
class _Font:
    name: str
    path: Path
    chars: frozenset[int]
    widths: dict[str, float] = field(default_factory=dict)  # width at 1 pt, filled lazily
    ttfont: object = None

    def width(self, text: str, size: float) -> float:
        total = 0.0
        widths = self.widths
        for ch in text:
            w = widths.get(ch)
            if w is None:
                w = widths[ch] = self.ttfont.stringWidth(ch, 1.0)
            total += w
        return total * size


_fonts: dict[Path, _Font] = {}
_font_lock = threading.Lock()


def _load_font(path: Path) -> _Font:
    path = path.resolve()
    font = _fonts.get(path)
    if font is not None:
        return font
    with _font_lock:
        font = _fonts.get(path)
        if font is not None:
            return font
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        name = "VSCertJP-" + hashlib.sha1(str(path).encode()).hexdigest()[:8]
        try:
            tt = TTFont(name, str(path))
        except TTFError as exc:
            raise FontNotFoundError(
                f"{path} cannot be embedded ({exc}); use a TrueType font (glyf outlines), not CFF/OTF"
            ) from exc
        pdfmetrics.registerFont(tt)
        font = _Font(name=name, path=path, chars=frozenset(tt.face.charToGlyph), ttfont=tt)
        _fonts[path] = font
        return font


# ---------------------------------------------------------------------------
# Sample seal (synthetic; never a real seal)
# ---------------------------------------------------------------------------

SEAL_RED = (0.80, 0.10, 0.12)


def sample_seal_png(size: int = 240, text: str = "見本", font_path: str | None = None) -> bytes:
    """A synthetic seal image: a red ring with ``text`` inside, transparent background (PNG).

    Needs Pillow (a dependency of reportlab). Use it for demos and tests; configure the real
    公印 image per municipality.
    """
    from PIL import Image, ImageDraw, ImageFont

    red = tuple(round(c * 255) for c in SEAL_RED) + (255,)
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    ring = max(2, size // 18)
    draw.ellipse((ring // 2, ring // 2, size - 1 - ring // 2, size - 1 - ring // 2), outline=red, width=ring)
    font = ImageFont.truetype(str(find_font(font_path)), size=int(size * 0.64 / max(1, len(text))))
    draw.text((size / 2, size / 2), text, font=font, fill=red, anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def _cached_sample_seal(font_path: str) -> bytes | None:
    """The default 見本 seal as an image (so its text is not extracted as certificate text)."""
    try:
        return sample_seal_png(font_path=font_path)
    except ImportError:
        return None


@functools.lru_cache(maxsize=16)
def _seal_xobject(png: bytes):  # noqa: ANN202
    """The seal as a PDF image object (pixels decoded and compressed, alpha as a soft mask), built
    once per process and seal: every counter print would otherwise decode and deflate the PNG again."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfdoc import PDFImageXObject

    name = "vsSeal" + hashlib.sha1(png).hexdigest()[:16]
    return name, PDFImageXObject(name, ImageReader(io.BytesIO(png)), mask="auto")


def _draw_seal_image(c, png: bytes) -> None:  # noqa: ANN001
    """``c.drawImage(png, 0, 0, SEAL_D, SEAL_D, mask="auto")`` with the image object from the cache,
    registered in this document the way ``Canvas.drawImage`` registers a new one."""
    import copy

    from reportlab.pdfbase.pdfdoc import PDFObjectReference

    name, template = _seal_xobject(png)
    doc = c._doc
    registered = doc.getXObjectName(name)
    if doc.idToObject.get(registered) is None:
        image = copy.copy(template)  # registering marks the object: one copy per document
        smask = image.__dict__.pop("_smask", None)
        c._setXObjects(image)
        doc.Reference(image, registered)
        doc.addForm(name, image)
        if smask is not None:
            mask_name = doc.getXObjectName(smask.name)
            if doc.idToObject.get(mask_name) is None:
                smask = copy.copy(smask)
                c._setXObjects(smask)
                image.smask = doc.Reference(smask, mask_name)
            else:
                image.smask = PDFObjectReference(mask_name)
    c._currentPageHasImages = 1
    c.saveState()
    c.scale(SEAL_D, SEAL_D)
    c._code.append(f"/{registered} Do")
    c.restoreState()
    c._formsinuse.append(name)


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM  # A4 portrait
MARGIN_X = 20 * MM
CONTENT_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 42 * MM
CELL_PAD = 2.5 * MM
BOTTOM_LIMIT = 18 * MM
SEAL_D = 19 * MM

# Characters that may not begin a line (禁則): they hang at the end of the previous line.
_NO_LINE_START = set("、。，．,.）〕］｝〉》」』】)]}!?！？ーゝゞ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")


def _wrap(font: _Font, text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line = ""
        line_w = 0.0
        for ch in para:
            w = font.width(ch, size)
            if line and line_w + w > width and ch not in _NO_LINE_START:
                lines.append(line)
                line, line_w = "", 0.0
            line += ch
            line_w += w
        lines.append(line)
    return lines


@dataclass
class _Row:
    label: str
    lines: list[str]  # wrapped value text (ignored when items is set)
    size: float
    min_h: float
    items: list[tuple[str, bool]] | None = None  # check-box items (label, checked)
    item_rows: list[list[tuple[str, bool, float]]] | None = None  # laid-out items (label, checked, x)

    def height(self) -> float:
        n = len(self.item_rows) if self.item_rows is not None else len(self.lines)
        return max(self.min_h, n * self.size * 1.6 + 2 * CELL_PAD)


def _flow_items(
    font: _Font, items: list[tuple[str, bool]], size: float, width: float
) -> list[list[tuple[str, bool, float]]]:
    rows: list[list[tuple[str, bool, float]]] = [[]]
    x = 0.0
    gap = size * 1.5
    for label, checked in items:
        w = font.width(UNCHECKED + label, size)
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((label, checked, x))
        x += w + gap
    return rows


def _class_label(view: CertificateView, classes: Sequence[tuple[str, str]]) -> str:
    labels = dict(classes)
    if view.damage_class not in labels:
        raise CertificateError(f"unknown damage class {view.damage_class!r}; expected one of {', '.join(labels)}")
    label = labels[view.damage_class]
    given = view.damage_class_label
    if given and unicodedata.normalize("NFKC", given) != unicodedata.normalize("NFKC", label):
        raise CertificateError(f"damage class label {given!r} does not match code {view.damage_class!r} ({label})")
    return label


def _check_view(view: CertificateView) -> None:
    if view.certificate_type not in ("damage", "victim"):
        raise CertificateError(f"unknown certificate type {view.certificate_type!r}")
    if view.certificate_type == "damage":
        _class_label(view, view.damage_classes)
    elif not view.victim_text.strip():
        raise CertificateError("被災証明書 needs victim_text (被害の状況)")
    if view.flood_class is not None and view.flood_class not in dict(FLOOD_CLASSES):
        raise CertificateError(f"unknown flood class {view.flood_class!r}")
    for name in ("head_name", "head_address", "dwelling_location", "disaster_name"):
        if not str(getattr(view, name)).strip():
            raise CertificateError(f"{name} is empty")


def _check_glyphs(font: _Font, fields: Iterable[tuple[str, str]]) -> None:
    for name, text in fields:
        missing = "".join(dict.fromkeys(c for c in text if ord(c) not in font.chars and not c.isspace()))
        if missing:
            raise UnrenderableTextError(name, missing)


def _notes(view: CertificateView) -> str:
    parts = []
    if view.reissue_of is not None:
        number, issued = view.reissue_of
        parts.append(f"{to_wareki(issued)}付 {format_number(number)}を{view.reissue_reason}により更新")
    if view.notes.strip():
        parts.append(view.notes.strip())
    return "\n".join(parts)


def _rows(font: _Font, view: CertificateView, size: float, free_size: float) -> list[_Row]:
    """The table rows; the free-text rows (被害の状況, 備考) use ``free_size``."""
    value_w = CONTENT_W - LABEL_W - 2 * CELL_PAD
    cause = f"{to_wareki(view.disaster_date)}の{view.disaster_name}による"
    damage = view.certificate_type == "damage"

    def text_row(label: str, text: str, min_h: float, row_size: float = size) -> _Row:
        return _Row(label, _wrap(font, text, row_size, value_w), row_size, min_h)

    rows = [
        text_row("世帯主住所" if damage else "住所", view.head_address, 14 * MM),
        text_row("世帯主氏名" if damage else "氏名", view.head_name, 14 * MM, size + 2),
        text_row("罹災原因", cause, 14 * MM),
        text_row("被災住家※の所在地" if damage else "被害物件の所在地", view.dwelling_location, 14 * MM),
    ]
    if damage:
        items = [(label, code == view.damage_class) for code, label in view.damage_classes]
        row = _Row("住家※の被害の程度", [], size, 20 * MM, items=items)
        row.item_rows = _flow_items(font, items, size, value_w)
        rows.append(row)
    else:
        rows.append(text_row("被害の状況", view.victim_text, 36 * MM, free_size))
    if view.flood_class is not None:
        items = [(label, code == view.flood_class) for code, label in FLOOD_CLASSES]
        row = _Row("浸水区分", [], size, 12 * MM, items=items)
        row.item_rows = _flow_items(font, items, size, value_w)
        rows.append(row)
    rows.append(text_row("備考", _notes(view), 22 * MM, free_size))
    return rows


def _layout(font: _Font, view: CertificateView) -> list[_Row]:
    """The checked rows of one certificate; raises CertificateError when it cannot be printed."""
    _check_view(view)
    fields = [
        ("head_name", view.head_name),
        ("head_address", view.head_address),
        ("dwelling_location", view.dwelling_location),
        ("disaster_name", view.disaster_name),
        ("notes", _notes(view)),
        ("victim_text", view.victim_text),
        ("number", str(view.number)),
    ]
    _check_glyphs(font, fields)
    size = 11.0
    for free_size in (11.0, 10.0, 9.0, 8.0):  # long free text gets smaller, the rest stays
        rows = _rows(font, view, size, free_size)
        table_h = sum(r.height() for r in rows)
        if 66 * MM + table_h + 62 * MM <= PAGE_H - BOTTOM_LIMIT:
            return rows
    raise TextTooLongError(f"certificate {format_number(view.number)}: text too long for one page")


def check_printable(view: CertificateView, font_path: str | None = None) -> None:
    """Raise what rendering would raise (a character the font lacks, text that does not fit on the
    page), without drawing: checked before a number is used, so nothing is issued that cannot print."""
    _layout(_load_font(find_font(font_path)), view)


class _Renderer:
    def __init__(self, issuer: IssuerConfig, title: str) -> None:
        from reportlab import rl_config
        from reportlab.pdfgen.canvas import Canvas

        # Binary (deflated) streams, not ASCII85 on top: reportlab's ASCII85 encoder is pure Python
        # without its C accelerator, a few ms per certificate, and the PDF is smaller. Set on every
        # render (always the same value) since reportlab reads it while writing.
        rl_config.useA85 = 0
        self.issuer = issuer
        self.font = _load_font(find_font(issuer.font_path))
        self.buf = io.BytesIO()
        self.c = Canvas(
            self.buf,
            pagesize=(PAGE_W, PAGE_H),
            invariant=1,
            pageCompression=1,
            initialFontName=self.font.name,
        )
        self.c.setTitle(title)
        self.c.setAuthor(issuer.municipality_name)
        self.c.setCreator("victim-support")
        self.seal_form: str | None = None
        _check_glyphs(self.font, [("municipality_name", issuer.mayor_line)])

    # -- primitives -------------------------------------------------------

    def text(self, x: float, y_top: float, s: str, size: float, align: str = "left", space: float = 0.0) -> None:
        """Draw ``s`` with its top at ``y_top`` (measured from the top of the page)."""
        c = self.c
        baseline = PAGE_H - y_top - size * 0.88
        if align != "left":
            w = self.font.width(s, size) + space * max(0, len(s) - 1)
            x = x - w if align == "right" else x - w / 2
        if space:
            t = c.beginText(x, baseline)
            t.setFont(self.font.name, size)
            t.setCharSpace(space)
            t.textOut(s)
            t.setCharSpace(0)  # Tc is graphics state: it outlives the text object
            c.drawText(t)
        else:
            c.setFont(self.font.name, size)
            c.drawString(x, baseline, s)

    def _seal(self) -> str:
        """A form XObject with the seal, defined once per document."""
        if self.seal_form is None:
            c = self.c
            name = "vsSeal"
            c.beginForm(name, lowerx=0, lowery=0, upperx=SEAL_D, uppery=SEAL_D)
            png = self.issuer.seal_png
            if png is None:
                png = _cached_sample_seal(str(self.font.path))
            if png is not None:
                if not png.startswith(b"\x89PNG"):
                    raise CertificateError("seal_png is not a PNG image")
                _draw_seal_image(c, png)
            else:  # no Pillow: draw the sample seal as vectors
                c.setStrokeColorRGB(*SEAL_RED)
                c.setFillColorRGB(*SEAL_RED)
                c.setLineWidth(1.6)
                c.circle(SEAL_D / 2, SEAL_D / 2, SEAL_D / 2 - 1.2, stroke=1, fill=0)
                size = SEAL_D * 0.36
                c.setFont(self.font.name, size)
                c.drawCentredString(SEAL_D / 2, SEAL_D / 2 - size * 0.36, "見本")
            c.endForm()
            self.seal_form = name
        return self.seal_form

    # -- page -------------------------------------------------------------

    def page(self, view: CertificateView) -> None:
        rows = _layout(self.font, view)
        self._draw(view, rows)
        self.c.showPage()

    def _draw(self, view: CertificateView, rows: list[_Row]) -> None:
        c = self.c
        right = PAGE_W - MARGIN_X
        damage = view.certificate_type == "damage"

        # Reprint mark (再交付 + date), top left, red box.
        if view.reprint_on is not None:
            mark = f"{self.issuer.reprint_label}　{to_wareki(view.reprint_on)}"
            w = self.font.width(mark, 10) + 4 * MM
            c.setStrokeColorRGB(*SEAL_RED)
            c.setFillColorRGB(*SEAL_RED)
            c.setLineWidth(1)
            c.rect(MARGIN_X, PAGE_H - 24 * MM, w, 8 * MM, stroke=1, fill=0)
            self.text(MARGIN_X + 2 * MM, 17.8 * MM, mark, 10)
            c.setFillColorRGB(0, 0, 0)
            c.setStrokeColorRGB(0, 0, 0)

        # Number and issue date, top right.
        self.text(right, 26 * MM, f"交付番号　{format_number(view.number)}", 11, align="right")
        self.text(right, 32.5 * MM, f"交付日　{to_wareki(view.issued_on)}", 11, align="right")

        # Title.
        title = "罹災証明書" if damage else "被災証明書"
        self.text(PAGE_W / 2, 44 * MM, title, 22, align="center", space=6)

        # Table.
        top = 62 * MM
        c.setLineWidth(0.8)
        y = top
        value_x = MARGIN_X + LABEL_W + CELL_PAD
        for row in rows:
            h = row.height()
            c.rect(MARGIN_X, PAGE_H - y - h, CONTENT_W, h, stroke=1, fill=0)
            c.line(MARGIN_X + LABEL_W, PAGE_H - y, MARGIN_X + LABEL_W, PAGE_H - y - h)
            line_h = row.size * 1.6
            n = len(row.item_rows) if row.item_rows is not None else len(row.lines)
            # Short values are centred in the cell, long ones start at the top.
            y0 = y + (h - n * line_h) / 2 + (line_h - row.size) / 2 if n <= 2 else y + CELL_PAD
            # The label sits on the first value line, so extracted text reads "label value".
            label_size = 10.5 if self.font.width(row.label, 10.5) <= LABEL_W - 2 * CELL_PAD else 9.0
            self.text(MARGIN_X + CELL_PAD, y0 + (row.size - label_size) / 2, row.label, label_size)
            if row.item_rows is not None:
                for i, items in enumerate(row.item_rows):
                    for label, checked, x in items:
                        mark = CHECKED if checked else UNCHECKED
                        self.text(value_x + x, y0 + i * line_h, mark + label, row.size)
            else:
                for i, line in enumerate(row.lines):
                    self.text(value_x, y0 + i * line_h, line, row.size)
            y += h

        # Footnote under the table.
        y += 2.5 * MM
        if damage:
            note = "※ 住家とは、現実に居住のため使用している建物をいう。"
        else:
            note = "※ この証明書は被害の届出があったことを証明するものであり、被害の程度を証明するものではありません。"
        self.text(MARGIN_X, y, note, 8.5)

        # Certification sentence.
        y += 14 * MM
        sentence = (
            "上記のとおり相違ないことを証明します。" if damage else "上記のとおり被害の届出があったことを証明します。"
        )
        self.text(MARGIN_X + 11, y, sentence, 12)

        # Mayor line, then 印 with the seal centred on it (clear of the name).
        y += 22 * MM
        size = 13.0
        seal_cx = right - SEAL_D / 2
        self.text(seal_cx - SEAL_D / 2 - 2 * MM, y, self.issuer.mayor_line, size, align="right")
        self.text(seal_cx, y, "印", size, align="center")
        if self.issuer.seal_png is not None or self.issuer.sample_seal:
            cy = PAGE_H - y - size * 0.45
            c.saveState()
            c.translate(seal_cx - SEAL_D / 2, cy - SEAL_D / 2)
            c.doForm(self._seal())
            c.restoreState()

    def finish(self) -> bytes:
        self.c.save()
        return self.buf.getvalue()


def render_batch(views: Iterable[CertificateView], issuer: IssuerConfig) -> bytes:
    """Many certificates as ONE PDF, one page each, in the given order."""
    views = list(views)
    if not views:
        raise CertificateError("no certificates to render")
    kinds = {v.certificate_type for v in views}
    name = "罹災証明書" if kinds == {"damage"} else "被災証明書" if kinds == {"victim"} else "証明書"
    title = f"{name} {format_number(views[0].number)}" if len(views) == 1 else f"{name} ({len(views)}件)"
    renderer = _Renderer(issuer, title)
    for view in views:
        renderer.page(view)
    return renderer.finish()


def render_certificate(view: CertificateView, issuer: IssuerConfig) -> bytes:
    """One certificate as a one-page PDF."""
    return render_batch([view], issuer)


def warm_up(font_path: str | None = None) -> bool:
    """Render a sample once (imports, font load, sample seal: about 100 ms, once per process), so
    that the first certificate a server process prints is not slower than the others. False when no font is
    installed (rendering will say so when asked)."""
    sample = CertificateView(
        number=1,
        issued_on=date(2026, 1, 1),
        head_name="見本　花子",
        head_address="見本市見本町一丁目1番1号",
        dwelling_location="見本市見本町一丁目1番1号",
        disaster_name="見本地震",
        disaster_date=date(2026, 1, 1),
        damage_class="half",
    )
    try:
        render_certificate(sample, IssuerConfig("見本市", font_path=font_path))  # imports, font, sample seal
    except FontNotFoundError:
        return False
    return True
