"""CSV files as people have them: delimiters, quoting, encodings, decimal commas, thousands
separators, quoted newlines, blank lines, odd headers, huge fields, and files that cannot be read."""
import os
import sys

import numpy as np
import pytest

from workbench.core.data import load_csv, load_data
from workbench.core.data.csvfile import read_csv_file
from workbench.core.errors import DataError


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _rows(n=30, sep=",", dec=".", thousands=""):
    out = [sep.join(["name", "price", "city", "sold"])]
    for i in range(n):
        whole = 1000 + 37 * i
        price = (f"{whole:,}" if thousands == "," else f"{whole:_}".replace("_", thousands) if thousands else str(whole))
        price += dec + f"{i % 100:02d}"
        if sep == "," and ("," in price):
            price = f'"{price}"'
        out.append(sep.join([f"item {i}", price, ["Leeds", "York"][i % 2], ["yes", "no"][i % 3 == 0]]))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("sep,dec,thousands", [(",", ".", ""), (";", ",", "."), ("\t", ".", ","), ("|", ",", " "),
                                               (",", ".", ",")])
def test_delimiters_decimal_commas_and_thousands(tmp_path, sep, dec, thousands):
    f = _write(tmp_path / "shop.csv", _rows(sep=sep, dec=dec, thousands=thousands))
    ds = load_csv(f)
    assert ds.feature_names == ["price", "city"], ds.columns  # "name" is an identifier
    prices = ds.X[:, 0]
    assert prices[0] == pytest.approx(1000.00) and prices[3] == pytest.approx(1111.03)
    assert ds.class_names == ["no", "yes"] and len(ds) == 30


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b""),
                                          ("cp1252", b""), ("utf-16", b"")])
def test_encodings(tmp_path, encoding, bom):
    text = "Stadt;Größe;Preis €;Kauf\n" + "".join(f"Köln;{i},5;{10 + i};{'ja' if i % 2 else 'nein'}\n"
                                                 for i in range(12))
    if encoding == "latin-1":
        text = text.replace("€", "EUR")
    f = tmp_path / "de.csv"
    f.write_bytes(bom + text.encode(encoding))
    raw = read_csv_file(f)
    assert raw.header[1] == "Größe" and raw.delimiter == ";"
    ds = load_csv(f)
    assert ds.target_name == "Kauf" and ds.class_names == ["nein", "ja"]
    assert ds.X[1, ds.feature_names.index("Größe")] == 1.5


def test_quoted_newlines_blank_lines_and_odd_headers(tmp_path):
    text = ('\n\nid,comment,comment,,score,label,\n'
            '1,"first line\nsecond line",short,x,"1,5",a,\n'
            '\n'
            '2,"she said ""great"", twice",short,y,2.5,b,\n'
            '3,plain,short,z,3.5,a,\n')
    raw = read_csv_file(_write(tmp_path / "odd.csv", text))
    assert raw.header == ["id", "comment", "comment (2)", "column 4", "score", "label"]
    assert raw.rows[0][1] == "first line\nsecond line" and raw.rows[1][1] == 'she said "great", twice'
    assert raw.lines == [4, 7, 8]  # where each row starts in the file (quoted newlines counted)
    assert any("repeats the name 'comment'" in n for n in raw.notes)
    assert any("Column 4 has no name" in n for n in raw.notes)


def test_fields_larger_than_the_csv_modules_limit(tmp_path):
    import csv

    big = "word " * (csv.field_size_limit() // 5 + 1000)  # over the default 128 KB limit
    rows = ["text,label"] + [f'"{big} {i}",{"ab"[i % 2]}' for i in range(4)]
    ds = load_data(_write(tmp_path / "big.csv", "\n".join(rows) + "\n"))
    assert ds.kind == "text" and len(ds.X[0]) > 131072


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a CSV file"):
        load_csv(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    f = _write(tmp_path / "locked.csv", "x,y\n1,a\n2,b\n")
    os.chmod(f, 0)
    try:
        if os.access(f, os.R_OK):  # root reads anything: nothing to check
            pytest.skip("running as root: permissions do not stop reading")
        with pytest.raises(DataError, match="not allowed to read .*permission denied"):
            load_csv(f)
    finally:
        os.chmod(f, 0o644)
    with pytest.raises(DataError, match="Line 3 of short.csv has 2 values"):
        load_csv(_write(tmp_path / "short.csv", "a,b,c\n1,2,x\n3,y\n"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_file_message_without_root(tmp_path, monkeypatch):
    """The permission message itself, whoever runs the tests (root ignores file modes)."""
    from pathlib import Path

    f = _write(tmp_path / "secret.csv", "x,y\n1,a\n")

    import os

    real_open = os.open

    def deny(path, *a, **k):
        if str(path).endswith("secret.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(DataError, match=r"The CSV file '.*secret.csv' cannot be used: permission denied; change"):
        load_csv(f)


def test_single_column_and_all_missing_target_are_one_sentence(tmp_path):
    with pytest.raises(DataError, match=r"only one column \('value'\)"):
        load_csv(_write(tmp_path / "one.csv", "value\n1\n2\n3\n"))
    with pytest.raises(DataError, match=r"target column 'label' of nolabel.csv is empty in every row"):
        load_csv(_write(tmp_path / "nolabel.csv", "x,label\n1,\n2,\n3,NA\n"), target="label")
    text = "\n".join(["id,label"] + [f"{i},{'ab'[i % 2]}" for i in range(1, 41)]) + "\n"
    with pytest.raises(DataError, match=r"no usable input column besides the target 'label': 'id' is identifier"):
        load_csv(_write(tmp_path / "ids.csv", text))
    assert np.isfinite(load_csv(_write(tmp_path / "ids.csv", text), columns={"id": "numeric"}).X).all()
