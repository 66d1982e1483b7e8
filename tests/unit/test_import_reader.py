"""ledgers.registry.import_reader: records from files, in this process or a second one (no database)."""

from datetime import date
from pathlib import Path

import pytest

from importers.layout import LayoutError, load_preset
from importers.synthetic import write_residents
from ledgers.registry import import_reader, mynumber
from ledgers.registry.import_reader import (
    SHAPES,
    ReadDone,
    ReaderGone,
    RowsBatch,
    choose_mode,
    read_batches,
    row_hash,
)


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.delenv("VS_MY_NUMBER_KEY", raising=False)
    monkeypatch.setenv("VS_MY_NUMBER_KEY_FILE", str(tmp_path / "key"))
    mynumber._key.cache_clear()
    yield
    mynumber._key.cache_clear()


@pytest.fixture(scope="module")
def residents_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "residents.csv"
    write_residents(path, 3_000, seed=4, with_gaiji=True, n_invalid=5)
    return path


@pytest.fixture
def started(monkeypatch) -> list:
    """The reader processes started during the test."""
    processes = []
    real_popen = import_reader.subprocess.Popen

    def popen(*args, **kwargs):
        processes.append(real_popen(*args, **kwargs))
        return processes[-1]

    monkeypatch.setattr(import_reader.subprocess, "Popen", popen)
    return processes


def collect(messages) -> tuple[list[tuple], list, ReadDone]:
    records, issues, done = [], [], None
    for message in messages:
        if isinstance(message, RowsBatch):
            records.extend(message.records)
            issues.extend(message.issues)
        else:
            assert isinstance(message, ReadDone)
            done = message
    assert done is not None, "the reader must end with ReadDone"
    return records, issues, done


def read(path: Path, mode: str, on_error: str = "skip", layout=None):
    return collect(
        read_batches(path, layout or load_preset("chukan-residents"), {}, "residents", "992011", on_error, mode)
    )


def test_a_second_process_reads_exactly_what_this_process_reads(residents_file):
    inline = read(residents_file, "inline")
    process = read(residents_file, "process")
    records_a, issues_a, done_a = inline
    records_b, issues_b, done_b = process
    assert done_a == done_b and done_a.rows == 3_000 and done_a.invalid == 5 and done_a.valid == 2_995
    assert len(records_a) == 2_995
    shape = SHAPES["residents"]
    cipher = shape.index("my_number_cipher")
    # 個人番号 ciphertexts differ (random nonce) but decrypt to the same number; all else is equal
    strip = [tuple(v for i, v in enumerate(r) if i != cipher) for r in records_a]
    assert strip == [tuple(v for i, v in enumerate(r) if i != cipher) for r in records_b]
    assert [(i.line_no, i.code) for i in issues_a] == [(i.line_no, i.code) for i in issues_b]


def test_two_readers_share_the_rows_and_still_see_every_duplicate(tmp_path, started, monkeypatch):
    """Duplicates across the readers' batches (the first in one reader's batch, the second in the
    other's) are reported as one reader reports them, with the first line."""
    monkeypatch.setattr(import_reader, "RECORD_BATCH", 7)  # many batches in a small file
    path = tmp_path / "dups.csv"
    write_residents(path, 100, seed=9)
    lines = path.read_bytes().split(b"\r\n")
    lines[56] = lines[3].split(b",", 1)[0] + b"," + lines[56].split(b",", 1)[1]  # line 57 repeats line 4's 宛名番号
    lines[12] = lines[5]  # line 13 repeats line 6 entirely (first batch 0, then batch 1)
    path.write_bytes(b"\r\n".join(lines))
    inline = read(path, "inline")
    process = read(path, "process")
    assert len(started) == 2
    assert process[2] == inline[2] and process[2].rows == 100 and process[2].invalid == 2
    duplicates = [(i.line_no, i.reason) for i in process[1] if i.code == "duplicate_key"]
    assert [line for line, _ in duplicates] == [13, 57]  # batches 1 and 7 of 7 rows: the second reader's
    assert "最初は 6 行目" in duplicates[0][1] and "最初は 4 行目" in duplicates[1][1]
    assert [(i.line_no, i.code) for i in inline[1]] == [(i.line_no, i.code) for i in process[1]]
    assert [r[0] for r in inline[0]] == [r[0] for r in process[0]]  # same records, in file order


def test_records_are_the_columns_as_written_then_the_row_hash(residents_file):
    records, _issues, _done = read(residents_file, "inline")
    shape = SHAPES["residents"]
    record = next(r for r in records if r[shape.index("birth_date")] is not None)
    assert len(record) == len(shape.columns) + 1
    assert record[shape.index("my_number_cipher")] == ""
    assert record[-1] == row_hash(shape.compared_of()(record[:-1] + ("",)))  # no 個人番号: "" as its fingerprint
    assert isinstance(record[shape.index("birth_date")], str)
    assert isinstance(record[shape.index("extra")], str)  # JSON text
    values = shape.decode(record)
    assert isinstance(values["birth_date"], date) and isinstance(values["extra"], dict)
    assert values["birth_date"].isoformat() == record[shape.index("birth_date")]


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_kind_builds_its_columns_in_record_order(kind):
    sample = {
        "atena_no": "1",
        "house_no": "1",
        "lot_no": "1",
        "fiscal_year": 2026,
        "level": "block",
        "lat": 1.0,
        "lon": 2.0,
        "match_key": "k",
    }
    assert tuple(SHAPES[kind].to_columns(sample, "992011")) == SHAPES[kind].columns


def test_the_hash_changes_with_any_compared_value_and_only_with_them(residents_file):
    records, _issues, _done = read(residents_file, "inline")
    shape = SHAPES["residents"]
    compared = shape.compared_of()
    record = records[0]
    assert row_hash(compared(record)) == row_hash(compared(tuple(record)))
    for column in shape.compared:
        if column == "my_number_cipher":
            continue
        changed = list(record)
        changed[shape.index(column)] = "x" if changed[shape.index(column)] != "x" else "y"
        assert row_hash(compared(tuple(changed))) != row_hash(compared(record)), column
    derived = list(record)
    derived[shape.index("kana_key")] = "別"
    assert row_hash(compared(tuple(derived))) == row_hash(compared(record))  # search keys follow their field


def test_abort_stops_records_at_the_first_invalid_row_but_reads_the_whole_report(residents_file):
    records, issues, done = read(residents_file, "process", on_error="abort")
    assert done.invalid == 5 and done.rows == 3_000
    errors = [i for i in issues if i.severity == "error"]
    assert len({i.line_no for i in errors}) == 5
    assert len(records) < 2_995


def test_a_layout_error_in_the_reader_process_is_raised_here(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_bytes("氏名,住所\r\n見本,見本市\r\n".encode("cp932"))
    with pytest.raises(LayoutError) as raised:
        read(path, "process")
    assert "宛名番号" in str(raised.value) or "column" in str(raised.value).lower()


@pytest.mark.parametrize("which", [0, 1])
def test_a_reader_that_dies_is_an_error_not_a_short_file(tmp_path, started, monkeypatch, which):
    # more batches than the pipes hold, so that neither reader can have finished when it is killed
    monkeypatch.setattr(import_reader, "RECORD_BATCH", 50)
    path = tmp_path / "residents.csv"
    write_residents(path, 12_000, seed=5)
    batches = read_batches(path, load_preset("chukan-residents"), {}, "residents", "992011", "skip", "process")
    assert isinstance(next(batches), RowsBatch)
    started[which].kill()  # killed while it writes a later batch
    with pytest.raises(ReaderGone, match="途中で終了"):
        collect(batches)


def test_the_reader_process_stops_when_the_importer_stops_reading(residents_file, started):
    batches = read_batches(
        residents_file, load_preset("chukan-residents"), {}, "residents", "992011", "skip", "process"
    )
    next(batches)
    batches.close()  # e.g. the database write failed
    assert started and all(process.poll() is not None for process in started)


def test_reader_mode_by_size_and_by_environment(residents_file, monkeypatch):
    monkeypatch.delenv("VS_IMPORT_READER", raising=False)
    assert choose_mode(residents_file) == "inline"  # a small file
    monkeypatch.setattr(import_reader, "PARALLEL_FROM_BYTES", 1)
    assert choose_mode(residents_file) == "process"
    monkeypatch.setenv("VS_IMPORT_READER", "inline")
    assert choose_mode(residents_file) == "inline"
    assert choose_mode(residents_file, "process") == "process"
    with pytest.raises(ValueError):
        choose_mode(residents_file, "threads")


def test_remembered_json_texts_are_the_texts_of_the_values():
    from ledgers.registry.import_reader import json_memo, json_text

    values = [
        {"住民種別": "1"},
        {"住民種別": "1"},
        {"b": "1", "a": ""},
        {"a": "", "b": "1"},
        ["1", "2"],
        ("1", "2"),
        {"n": [1, 2]},
        {},
        [],
        {"住民種別": "2"},
        {"住民種別": "1"},
        {"x": True},
        {"x": 1},
        {"x": 1.0},
        [True],
        [1],
    ]
    for limit in (0, 2, 100):
        text = json_memo(limit)
        assert [text(v) for v in values] == [json_text(v) for v in values], limit
        assert text([1]) == "[1]" and text([True]) == "[true]"  # equal as keys (1 == True), not alike
