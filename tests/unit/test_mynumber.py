"""個人番号: check digit, encryption bound to its row, masking."""

import pytest

from ledgers.registry import mynumber


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.delenv("VS_MY_NUMBER_KEY", raising=False)
    monkeypatch.setenv("VS_MY_NUMBER_KEY_FILE", str(tmp_path / "key"))
    mynumber._key.cache_clear()
    yield
    mynumber._key.cache_clear()


def test_check_digit_by_hand():
    # 12345678901x: sum of digits*weights from the right = 1*2+0*3+9*4+8*5+7*6+6*7+5*2+4*3+3*4+2*5+1*6 = 212;
    # 212 % 11 = 3 -> check digit 11 - 3 = 8
    assert mynumber.my_number_check_digit("12345678901") == "8"
    assert mynumber.is_valid_my_number("123456789018")
    assert not mynumber.is_valid_my_number("123456789019")
    assert not mynumber.is_valid_my_number("12345678901")


def test_encrypt_round_trip_is_bound_to_context(tmp_path):
    token = mynumber.encrypt("123456789018", "992011:1000000016")
    assert "123456789018" not in token
    assert mynumber.decrypt(token, "992011:1000000016") == "123456789018"
    assert mynumber.encrypt("123456789018", "992011:1000000016") != token  # fresh nonce
    with pytest.raises(Exception):
        mynumber.decrypt(token, "992011:1000000024")  # moved to another person: refused
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0


def test_mask_shows_nothing_of_the_number():
    assert mynumber.mask(True) == mynumber.MASK and mynumber.mask(False) == ""


def test_fingerprint_is_keyed_and_bound_to_its_row(monkeypatch, tmp_path):
    first = mynumber.fingerprint("123456789018", "992011:1")
    assert first == mynumber.fingerprint("123456789018", "992011:1")  # stable: a re-import compares it
    assert first != mynumber.fingerprint("123456789018", "992011:2")
    assert first != mynumber.fingerprint("987654321003", "992011:1")
    assert "123456789018" not in first
    monkeypatch.setenv("VS_MY_NUMBER_KEY_FILE", str(tmp_path / "other-key"))
    mynumber._key.cache_clear()
    assert mynumber.fingerprint("123456789018", "992011:1") != first  # another key, another fingerprint


def test_a_server_without_a_key_refuses_instead_of_making_its_own(monkeypatch, tmp_path):
    # Before: each host silently made its own key under var/, so two instances could not read each
    # other's 個人番号. Now only the demo and the tests (VS_GENERATE_MY_NUMBER_KEY=1) make one.
    monkeypatch.delenv("VS_GENERATE_MY_NUMBER_KEY", raising=False)
    with pytest.raises(mynumber.MissingKey, match="VS_MY_NUMBER_KEY"):
        mynumber.encrypt("123456789018", "992011:1000000016")
    assert not (tmp_path / "key").exists()
    made = mynumber.generate_key_file()  # what `victim-support keys init` does
    assert made == tmp_path / "key" and made.stat().st_mode & 0o077 == 0
    token = mynumber.encrypt("123456789018", "992011:1000000016")
    assert mynumber.decrypt(token, "992011:1000000016") == "123456789018"
    with pytest.raises(FileExistsError):
        mynumber.generate_key_file()  # never overwrites a key
