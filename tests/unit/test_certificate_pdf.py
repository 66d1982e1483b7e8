"""Certificate PDFs (ledgers.certificates.pdf): the text must be real, extractable text.

The PDFs are read back with poppler's ``pdftotext -layout``. Without it these tests are skipped,
unless REQUIRE_BROWSER=1 (as in CI), when they fail. All names and places are synthetic.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest

from ledgers.certificates import (
    DAMAGE_CLASSES,
    CertificateError,
    CertificateView,
    FontNotFoundError,
    IssuerConfig,
    UnrenderableTextError,
    find_font,
    format_number,
    render_batch,
    render_certificate,
    sample_seal_png,
)

PDFTOTEXT = "/usr/bin/pdftotext"

ISSUER = IssuerConfig("見本市", mayor_name="見本　太郎")

VIEW = CertificateView(
    number=123,
    issued_on=date(2026, 11, 24),
    head_name="髙﨑　花子",
    head_address="架空県見本市本町一丁目2番3号　見本ハイツ101号室",
    dwelling_location="架空県見本市本町一丁目2番3号",
    disaster_name="令和8年見本地震",
    disaster_date=date(2026, 11, 20),
    damage_class="medium_scale_half",
    damage_class_label="中規模半壊",
)


@pytest.fixture(scope="module")
def pdftotext():
    if not (os.path.exists(PDFTOTEXT) or shutil.which("pdftotext")):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext (poppler-utils) is required (REQUIRE_BROWSER=1) but missing")
        pytest.skip("pdftotext (poppler-utils) not installed")
    exe = PDFTOTEXT if os.path.exists(PDFTOTEXT) else shutil.which("pdftotext")

    def run(pdf: bytes) -> str:
        assert pdf.startswith(b"%PDF-")
        out = subprocess.run([exe, "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
        return out.stdout.decode("utf-8")

    return run


def squash(text: str) -> str:
    """Layout output with all whitespace removed (ideographic spaces become runs of blanks)."""
    return re.sub(r"\s+", "", text)


def marked(text: str) -> list[str]:
    return re.findall(r"■(\S+)", text)


def test_damage_certificate_has_the_fields_as_text(pdftotext):
    text = pdftotext(render_certificate(VIEW, ISSUER))
    flat = squash(text)
    assert "罹災証明書" in flat
    assert "髙﨑" in text and "\u9ad9\ufa11" in flat  # rare kanji kept as themselves, not folded
    assert "髙﨑花子" in flat
    assert "架空県見本市本町一丁目2番3号見本ハイツ101号室" in flat
    assert "第123号" in flat
    assert "令和8年11月24日" in flat  # 交付日 in 和暦
    assert "令和8年11月20日の令和8年見本地震による" in flat
    assert marked(text) == ["中規模半壊"]
    for _, label in DAMAGE_CLASSES:
        if label != "中規模半壊":
            assert "□" + label in flat
    assert "上記のとおり相違ないことを証明します。" in flat
    assert "見本市市長見本太郎印" in flat
    assert "浸水区分" not in flat
    assert "再交付" not in flat and "更新" not in flat
    assert "\f" not in text.rstrip("\f")  # one page


@pytest.mark.parametrize(("code", "label"), DAMAGE_CLASSES)
def test_exactly_the_chosen_class_is_marked(pdftotext, code, label):
    text = pdftotext(render_certificate(replace(VIEW, damage_class=code, damage_class_label=None), ISSUER))
    assert marked(text) == [label]
    assert squash(text).count("□") == len(DAMAGE_CLASSES) - 1


def test_flood_row_and_notes(pdftotext):
    view = replace(VIEW, flood_class="above_floor", notes="第2次調査の結果による。")
    text = pdftotext(render_certificate(view, ISSUER))
    flat = squash(text)
    assert "浸水区分" in flat
    assert marked(text) == ["中規模半壊", "床上浸水"]
    assert "□床下浸水" in flat
    assert "備考第2次調査の結果による。" in flat or "第2次調査の結果による。" in flat


def test_reprint_and_reissue_notes(pdftotext):
    view = replace(
        VIEW,
        number=130,
        damage_class="large_scale_half",
        damage_class_label=None,
        reissue_of=(45, date(2026, 11, 22)),
        reprint_on=date(2026, 12, 1),
    )
    flat = squash(pdftotext(render_certificate(view, ISSUER)))
    assert "再交付令和8年12月1日" in flat
    assert "令和8年11月22日付第45号を再調査により更新" in flat
    assert "第130号" in flat
    assert "■大規模半壊" in flat


def test_batch_is_one_pdf_with_one_page_per_certificate(pdftotext):
    views = [
        replace(VIEW, number=n, head_name=name, damage_class=code, damage_class_label=None)
        for n, name, (code, _) in zip((201, 202, 203), ("見本　一郎", "試験　花子", "山﨑　次郎"), DAMAGE_CLASSES)
    ]
    pages = pdftotext(render_batch(views, ISSUER)).rstrip("\f").split("\f")
    assert len(pages) == 3
    for page, view, (_, label) in zip(pages, views, DAMAGE_CLASSES):
        flat = squash(page)
        assert f"第{view.number}号" in flat
        assert squash(view.head_name) in flat
        assert marked(page) == [label]
    assert "第202号" not in squash(pages[0])


def test_victim_certificate_free_text(pdftotext):
    view = replace(
        VIEW,
        certificate_type="victim",
        damage_class=None,
        damage_class_label=None,
        number="R8-0007",
        dwelling_location="架空県見本市港町5番6号（見本商店）",
        victim_text="自動車（普通乗用車）1台　浸水\n家財（冷蔵庫、洗濯機）浸水による故障",
    )
    text = pdftotext(render_certificate(view, ISSUER))
    flat = squash(text)
    assert "被災証明書" in flat and "罹災証明書" not in flat
    assert "第R8-0007号" in flat
    assert "自動車（普通乗用車）1台浸水" in flat
    assert "家財（冷蔵庫、洗濯機）浸水による故障" in flat
    assert "架空県見本市港町5番6号（見本商店）" in flat
    assert "被害の届出があったことを証明します。" in flat
    assert "■" not in flat


def test_municipality_and_mayor_are_configurable(pdftotext):
    issuer = IssuerConfig("見本町", mayor_name="試験　次郎", seal_png=sample_seal_png(120))
    flat = squash(pdftotext(render_certificate(VIEW, issuer)))
    assert "見本町町長試験次郎印" in flat
    assert "見本市市長" not in flat


def test_long_notes_wrap_and_stay_on_one_page(pdftotext):
    notes = "屋根瓦の一部落下、外壁のひび割れ及び基礎の損傷を確認した。" * 8
    text = pdftotext(render_certificate(replace(VIEW, notes=notes), ISSUER))
    assert "\f" not in text.rstrip("\f")
    assert notes in squash(text)


def test_font_is_embedded_and_output_is_deterministic():
    pdf = render_certificate(VIEW, ISSUER)
    assert b"/FontFile2" in pdf  # embedded TrueType (subset)
    assert pdf == render_certificate(VIEW, ISSUER)


def test_seal_image_is_placed_only_when_wanted():
    with_png = render_certificate(VIEW, IssuerConfig("見本市", seal_png=sample_seal_png(96)))
    sample = render_certificate(VIEW, ISSUER)
    bare = render_certificate(VIEW, IssuerConfig("見本市", sample_seal=False))
    assert b"/Subtype /Image" in with_png
    assert b"/Subtype /Image" in sample  # default synthetic 見本 seal
    assert b"/Subtype /Image" not in bare


def test_sample_seal_is_a_png():
    png = sample_seal_png(64)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"head_name": "\ue001田　花子"}, "外字"),
        ({"head_name": "𠮷野　花子"}, r"U\+20BB7"),
        ({"damage_class": "destroyed"}, "unknown damage class"),
        ({"damage_class_label": "半壊"}, "does not match"),
        ({"flood_class": "roof"}, "unknown flood class"),
        ({"certificate_type": "victim", "victim_text": ""}, "victim_text"),
        ({"head_address": "  "}, "head_address"),
        ({"number": ""}, "number"),
    ],
)
def test_unrenderable_views_are_refused(change, message):
    with pytest.raises(CertificateError, match=message):
        render_certificate(replace(VIEW, **change), ISSUER)


def test_missing_glyph_error_names_the_field():
    with pytest.raises(UnrenderableTextError) as info:
        render_certificate(replace(VIEW, dwelling_location="見本市\ue123町"), ISSUER)
    assert info.value.field_name == "dwelling_location"
    assert info.value.chars == "\ue123"


def test_bad_seal_and_empty_batch_are_refused():
    with pytest.raises(CertificateError, match="PNG"):
        render_certificate(VIEW, IssuerConfig("見本市", seal_png=b"GIF89a"))
    with pytest.raises(CertificateError):
        render_batch([], ISSUER)


def test_number_and_title_helpers():
    assert format_number(12) == "第12号"
    assert format_number("第12号") == "第12号"
    assert IssuerConfig("見本町").title == "町長"
    assert IssuerConfig("見本村").title == "村長"
    assert IssuerConfig("見本区").title == "区長"
    assert IssuerConfig("見本市", mayor_title="市長職務代理者").mayor_line == "見本市市長職務代理者"


def test_text_too_long_for_one_page_is_refused():
    with pytest.raises(CertificateError, match="too long"):
        render_certificate(replace(VIEW, notes="外壁のひび割れを確認した。" * 200), ISSUER)


def test_font_that_cannot_be_embedded_is_refused(tmp_path, monkeypatch):
    not_a_font = tmp_path / "bad.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontNotFoundError, match="cannot be embedded"):
        render_certificate(VIEW, IssuerConfig("見本市", font_path=str(not_a_font)))
    monkeypatch.setenv("VS_CERT_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(FontNotFoundError, match="not found"):
        find_font()


def test_the_bundled_ipaex_gothic_is_the_default_font(monkeypatch):
    from ledgers.certificates.pdf import BUNDLED_FONT

    monkeypatch.delenv("VS_CERT_FONT", raising=False)
    assert find_font() == BUNDLED_FONT
    assert BUNDLED_FONT.name == "ipaexg.ttf"
    # The IPA Font License (Article 3.2) requires its text to travel with the font.
    licence = BUNDLED_FONT.with_name("IPA_Font_License_Agreement_v1.0.txt").read_text(encoding="utf-8-sig")
    assert "IPA Font License Agreement v1.0" in licence


def test_classes_of_an_older_rule_set_can_be_printed(pdftotext):
    legacy = (("total_collapse", "全壊"), ("half", "半壊"), ("partial", "半壊に至らない（一部損壊）"))
    view = replace(VIEW, damage_class="partial", damage_class_label="半壊に至らない(一部損壊)", damage_classes=legacy)
    text = pdftotext(render_certificate(view, ISSUER))
    assert marked(text) == ["半壊に至らない（一部損壊）"]
    assert "中規模半壊" not in text
    with pytest.raises(CertificateError, match="unknown damage class"):
        render_certificate(replace(view, damage_class="quasi_half", damage_class_label=None), ISSUER)
