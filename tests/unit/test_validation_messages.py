"""victim_support.web.errors.validation_message: msgspec's validation messages in Japanese, with the
path of the field at fault."""

import pytest

from victim_support.web.errors import validation_message


@pytest.mark.parametrize(
    ("key", "message", "expected"),
    [
        ("data", "Object missing required field `house_no`", ("house_no", "必須の項目です。指定してください")),
        ("members[0]", "Object missing required field `name`", ("members[0].name", "必須の項目です。指定してください")),
        (
            "data",
            "Object contains unknown field `colour`",
            ("colour", "この項目はありません（項目名を確認してください）"),
        ),
        (
            "house_no",
            "Expected `str`, got `int`",
            ("house_no", "「文字列」で指定してください（「整数」が指定されました）"),
        ),
        (
            "limit",
            "Expected `int | null`, got `str`",
            ("limit", "「整数」または「null」で指定してください（「文字列」が指定されました）"),
        ),
        (
            "data",
            "Expected `object`, got `array`",
            ("リクエスト本文", "「オブジェクト」で指定してください（「配列」が指定されました）"),
        ),
        ("house_no", "Expected `str` of length >= 1", ("house_no", "1文字以上で指定してください")),
        ("team", "Expected `str` of length <= 40", ("team", "40文字以内で指定してください")),
        ("house_nos", "Expected `array` of length <= 500", ("house_nos", "500件以内で指定してください")),
        ("limit", "Expected `int` >= 1", ("limit", "1以上で指定してください")),
        ("ratio", "Expected `float` < 100.0", ("ratio", "100.0より小さい値で指定してください")),
        (
            "number",
            "Expected `str` matching regex '^[0-9]+$'",
            ("number", "書式が正しくありません（正規表現 '^[0-9]+$'）"),
        ),
        (
            "surveyed_on",
            "Invalid RFC3339 encoded date",
            ("surveyed_on", "日付は YYYY-MM-DD の形式で指定してください（例: 2026-11-20）"),
        ),
        ("kind", "Invalid enum value 'bogus'", ("kind", "'bogus' は指定できない値です")),
        ("data", "'data'", ("リクエスト本文", "JSON のオブジェクトを送ってください")),
        # a message it does not know is shown as it is, still with its field
        ("x", "Something new", ("x", "Something new")),
    ],
)
def test_validation_message(key, message, expected):
    assert validation_message(key, message) == expected
