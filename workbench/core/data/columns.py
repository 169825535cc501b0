"""Column kinds of a table, told from the values (never from the column's name), each with its reason.

    numeric      numbers; decimal commas ("3,5"), thousands separators ("12,500", "12.500,00",
                 "12 500"), currency signs and "%" are read; a few stray strings become missing
    categorical  a small set of repeated values, also numeric codes that are really categories
                 (codes with leading zeros, a few repeated whole numbers that are not a range)
    text         free text: many distinct values with several words each
    datetime     dates / times in common formats (ISO, 31/12/2024, 12/31/2024, 31.12.2024,
                 "Mar 5, 2024", ...), also two formats mixed in one column
    identifier   a different value in every row (an ID, a name), or a running number
    constant     the same value in every row, or empty in every row
    boolean      two values such as yes/no, true/false, y/n, 0/1

Identifiers and constants are dropped by default. ``profile_column`` detects; ``parse_column``
turns strings into the numbers a Dataset stores for a kind (also a kind the user forced, which
raises a DataError naming the column when the values cannot be read that way).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import DataError

KINDS = ("numeric", "categorical", "text", "datetime", "identifier", "constant", "boolean")
FEATURE_KINDS = ("numeric", "categorical", "text", "datetime", "boolean")  # what a model can use
TARGET_KINDS = ("categorical", "boolean", "numeric")
DROPPED_KINDS = ("identifier", "constant")
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "?", "null", "none", "-", "#n/a", "--", "missing", "nil"})
STRAY_SHARE = 0.05  # numeric / date columns may hold this share of values that do not parse (-> missing)
MAX_CODE_CATEGORIES = 20  # whole-number codes with at most this many distinct values may be categories
TEXT_MIN_WORDS = 2.5  # mean words per value of free text
PREVIEW = 5

_TRUE = {"true", "yes", "y", "t", "1", "on", "ja", "oui", "si", "sí", "wahr", "vrai"}
_FALSE = {"false", "no", "n", "f", "0", "off", "nein", "non", "falsch", "faux"}
_BOOL_PAIRS = [({"true"}, {"false"}), ({"yes"}, {"no"}), ({"y"}, {"n"}), ({"t"}, {"f"}), ({"1"}, {"0"}),
               ({"on"}, {"off"}), ({"ja"}, {"nein"}), ({"oui"}, {"non"}), ({"wahr"}, {"falsch"}),
               ({"vrai"}, {"faux"}), ({"si", "sí"}, {"no"})]

_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_EN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EU_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
_DEC_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_SPACE_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f']\d{3})+([.,]\d+)?$")
_CURRENCY = "$€£¥₹"
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")

# date formats tried, most specific first; ambiguous day/month orders are decided per column
_DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y%m%dT%H%M%S",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p",
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y", "%m/%d/%y", "%d.%m.%y",
    "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%d-%b-%Y", "%d-%b-%y", "%a, %d %b %Y %H:%M:%S",
    "%Y-%m", "%b %Y", "%B %Y",
]
_DATE_HINT = re.compile(r"\d{1,4}[-/.]\d{1,2}|[A-Za-z]{3,9}\.? \d{1,2}|\d{1,2} [A-Za-z]{3,9}")


def is_missing(v: str) -> bool:
    return v.strip().lower() in MISSING_TOKENS


@dataclass
class ColumnProfile:
    """What a column holds: its kind and why, counts and a preview (``to_dict`` is plain JSON)."""

    name: str
    kind: str
    reason: str
    missing: int
    distinct: int
    preview: list[str]
    detected: str = ""  # the detected kind when the user chose another one
    role: str = "feature"  # feature | target | time | dropped
    stray: list[str] = field(default_factory=list)  # values that did not parse and became missing

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "detected": self.detected or self.kind,
                "reason": self.reason, "role": self.role, "missing": self.missing, "distinct": self.distinct,
                "preview": list(self.preview), "stray": list(self.stray[:5])}


# ---------------------------------------------------------------------------------------------- numbers
def _clean_number_text(v: str) -> str:
    s = v.strip().replace("\u2212", "-")
    if s and s[0] in _CURRENCY:
        s = s[1:].strip()
    elif s and s[-1] in _CURRENCY:
        s = s[:-1].strip()
    if s.endswith("%"):
        s = s[:-1].strip()
    if s.startswith("(") and s.endswith(")"):  # accounting negatives: (1,200)
        s = "-" + s[1:-1]
    return s


def number_style(values: list[str], delimiter: str = ",") -> str:
    """"en" (1,234.5) or "eu" (1.234,5 / 3,5) for the numbers of one column."""
    en = eu = ambiguous = 0
    for v in values:
        s = _clean_number_text(v)
        if _PLAIN.match(s):
            if re.match(r"^[+-]?\d{1,3}\.\d{3}$", s):
                ambiguous += 1  # 1.234: a decimal point or European thousands
            continue
        if _EN_THOUSANDS.match(s):
            if re.match(r"^[+-]?\d{1,3},\d{3}$", s):
                ambiguous += 1  # 1,234: thousands or a decimal comma
            else:
                en += 1
        elif _EU_THOUSANDS.match(s) or _DEC_COMMA.match(s):
            eu += 1
    if eu > en:
        return "eu"
    if en > eu:
        return "en"
    return "eu" if delimiter == ";" and ambiguous else "en"


def parse_number(v: str, style: str = "en") -> float | None:
    """One value as a float, or None when it is not a number."""
    s = _clean_number_text(v)
    if not s:
        return None
    if _SPACE_THOUSANDS.match(s):
        s = re.sub(r"[ \u00a0\u202f']", "", s)
    if style == "eu":
        if _EU_THOUSANDS.match(s) or _DEC_COMMA.match(s):
            s = s.replace(".", "").replace(",", ".")
        elif "," in s:
            return None
    else:
        if _EN_THOUSANDS.match(s):
            s = s.replace(",", "")
        elif _DEC_COMMA.match(s):
            s = s.replace(",", ".")
    if not _PLAIN.match(s):
        if s.lower() in ("inf", "-inf", "+inf", "infinity", "-infinity"):
            return float(s.lower().replace("infinity", "inf"))
        return None
    try:
        return float(s)
    except ValueError:
        return None


def parse_numbers(values: list[str], delimiter: str = ",") -> tuple[np.ndarray, list[str]]:
    """(float64 array with NaN for missing or unreadable values, the unreadable values)."""
    style = number_style([v for v in values if not is_missing(v)], delimiter)
    out = np.full(len(values), np.nan)
    bad = []
    for i, v in enumerate(values):
        if is_missing(v):
            continue
        f = parse_number(v, style)
        if f is None:
            bad.append(v.strip())
        else:
            out[i] = f
    return out, bad


# ---------------------------------------------------------------------------------------------- dates
def _strptime(s: str, fmt: str) -> _dt.datetime | None:
    try:
        return _dt.datetime.strptime(s, fmt)
    except ValueError:
        return None


def _iso(s: str) -> _dt.datetime | None:
    try:
        t = _dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t


def date_formats(values: list[str], prefer_day_first: bool = False) -> list[str]:
    """The formats that read a column's values, best first (ISO is always tried too)."""
    sample = [v.strip() for v in values if v.strip()][:500]
    hits: dict[str, int] = {}
    for fmt in _DATE_FORMATS:
        n = sum(1 for s in sample if _strptime(s, fmt) is not None)
        if n:
            hits[fmt] = n
    # day/month order: keep the one that reads more values; on a tie the file's convention
    for dm, md in (("%d/%m/%Y", "%m/%d/%Y"), ("%d/%m/%y", "%m/%d/%y"), ("%d-%m-%Y", "%m-%d-%Y"),
                   ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"), ("%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S")):
        a, b = hits.get(dm, 0), hits.get(md, 0)
        if a and b:
            loser = md if (a > b or (a == b and prefer_day_first)) else dm
            hits.pop(loser)
    return sorted(hits, key=lambda f: -hits[f])


def parse_dates(values: list[str], prefer_day_first: bool = False) -> tuple[np.ndarray, list[str], list[str]]:
    """(seconds since 1970 as float64 with NaN for missing / unreadable, unreadable values, formats used)."""
    formats = date_formats([v for v in values if not is_missing(v)], prefer_day_first)
    out = np.full(len(values), np.nan)
    bad: list[str] = []
    used: list[str] = []
    epoch = _dt.datetime(1970, 1, 1)
    for i, v in enumerate(values):
        if is_missing(v):
            continue
        s = v.strip()
        t = _iso(s) if re.match(r"^\d{4}-\d{2}-\d{2}", s) else None
        fmt = "ISO" if t is not None else None
        if t is None:
            for f in formats:
                t = _strptime(s, f)
                if t is not None:
                    fmt = f
                    break
        if t is None:
            bad.append(s)
            continue
        if fmt not in used:
            used.append(fmt)
        out[i] = (t - epoch).total_seconds()
    return out, bad, used


def _format_label(fmt: str) -> str:
    if fmt == "ISO":
        return "ISO (2024-03-31)"
    example = _dt.datetime(2024, 3, 31, 14, 5, 9)
    return example.strftime(fmt)


def format_timestamp(seconds: float) -> str:
    """How a stored date shows: "2024-03-31" or "2024-03-31 14:05"."""
    if not math.isfinite(seconds):
        return "—"
    t = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=float(seconds))
    if t.hour == t.minute == t.second == 0:
        return t.strftime("%Y-%m-%d")
    return t.strftime("%Y-%m-%d %H:%M" if t.second == 0 else "%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------------------------- booleans
def boolean_pair(distinct_lower: set[str]) -> tuple[set[str], set[str]] | None:
    """The (true spellings, false spellings) when a column's values are a yes/no pair."""
    if not distinct_lower or len(distinct_lower) > 4:
        return None
    trues, falses = distinct_lower & _TRUE, distinct_lower & _FALSE
    if trues | falses != distinct_lower or not trues or not falses:
        return None
    for t, f in _BOOL_PAIRS:  # one vocabulary: "yes"/"no", not "yes"/"0"
        if trues <= t | {"true", "yes", "y", "1"} and falses <= f | {"false", "no", "n", "0"}:
            return trues, falses
    return trues, falses


# ---------------------------------------------------------------------------------------------- detection
def _words(s: str) -> int:
    return len(s.split())


def _quote(vals) -> str:
    return ", ".join(repr(v) for v in vals)


def profile_column(name: str, values: list[str], *, delimiter: str = ",", day_first: bool = False) -> ColumnProfile:
    """Detect a column's kind from its values (see the module docstring)."""
    present = [v.strip() for v in values if not is_missing(v)]
    missing = len(values) - len(present)
    distinct_vals = sorted(set(present))
    d, n = len(distinct_vals), len(present)
    preview = []
    for v in present:
        if v not in preview:
            preview.append(v if len(v) <= 60 else v[:57] + "…")
        if len(preview) == PREVIEW:
            break

    def made(kind: str, reason: str, stray=()) -> ColumnProfile:
        return ColumnProfile(name, kind, reason, missing, d, preview, stray=list(stray))

    if n == 0:
        return made("constant", "empty in every row")
    if d == 1:
        return made("constant", f"the same value {distinct_vals[0]!r} in every row")
    lowered = {v.lower() for v in distinct_vals}
    pair = boolean_pair(lowered) if d <= 4 else None
    if pair is not None:
        return made("boolean", f"two values meaning yes / no ({_quote(sorted(pair[0]))} / {_quote(sorted(pair[1]))})")

    nums, bad = parse_numbers(present, delimiter)
    if len(bad) <= STRAY_SHARE * n and len(bad) < n:
        fin = nums[np.isfinite(nums)]
        stray_note = (f"; {len(bad)} value(s) that are not numbers ({_quote(sorted(set(bad))[:3])}) are taken as "
                      "missing") if bad else ""
        integral = bool(fin.size) and bool(np.all(fin == np.round(fin)))
        if integral:
            texts = [v for v in present if _INTEGER_TEXT.match(v.strip())]
            zeros = [v for v in texts if len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0")]
            if zeros:
                return made("categorical", f"codes with leading zeros ({_quote(zeros[:2])}): labels, not amounts"
                            + stray_note, bad)
            uniq = np.unique(fin)
            if len(uniq) == len(fin) and len(fin) >= 20:
                steps = np.diff(uniq)
                if len(steps) and np.all(steps == steps[0]):
                    return made("identifier", f"a running number ({_fmt(uniq[0])}, {_fmt(uniq[1])}, …), one per row")
            span = uniq[-1] - uniq[0] + 1
            if 3 <= len(uniq) <= MAX_CODE_CATEGORIES and len(uniq) <= n / 5 and span > 3 * len(uniq):
                return made("categorical", f"{len(uniq)} repeated whole numbers spread over {_fmt(uniq[0])}…"
                            f"{_fmt(uniq[-1])} that do not form a range: codes of categories" + stray_note, bad)
        lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 0.0)
        return made("numeric", f"numbers from {_fmt(lo)} to {_fmt(hi)}" + stray_note, bad)

    if _DATE_HINT.search(present[0]) or sum(1 for v in present[:50] if _DATE_HINT.search(v)) > 25:
        stamps, bad_dates, used = parse_dates(present, day_first)
        if used and len(bad_dates) <= STRAY_SHARE * n:
            fmts = " and ".join(_format_label(f) for f in used[:2])
            note = (f"; {len(bad_dates)} value(s) that are not dates ({_quote(sorted(set(bad_dates))[:3])}) are taken "
                    "as missing") if bad_dates else ""
            return made("datetime", f"dates like {fmts}" + note, bad_dates)

    mean_words = sum(_words(v) for v in present) / n
    if d >= 0.5 * n and mean_words >= TEXT_MIN_WORDS or mean_words >= 5:
        return made("text", f"free text: {d:,} distinct values with {mean_words:.1f} words on average")
    if d == n and n >= 20:
        return made("identifier", "a different value in every row, like an ID or a name")
    return made("categorical", f"{d:,} distinct values" + (f", e.g. {_quote(distinct_vals[:3])}" if d > 3 else
                                                           f": {_quote(distinct_vals)}"))


def _fmt(v: float) -> str:
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if 1000 <= abs(v) < 1e15:
        return f"{v:,.2f}"
    return f"{v:.4g}"


# ---------------------------------------------------------------------------------------------- parsing
@dataclass
class ParsedColumn:
    """A column as a Dataset stores it: float64 values (NaN = missing) and, for categorical /
    text / boolean kinds, the value names the codes index."""

    kind: str
    values: np.ndarray
    names: list[str] | None = None
    stray: list[str] = field(default_factory=list)


def parse_column(name: str, values: list[str], kind: str, file: str, *, delimiter: str = ",",
                 day_first: bool = False, forced: bool = False) -> ParsedColumn:
    """Strings -> the stored numbers of ``kind``. A kind the user forced (``forced``) that cannot
    read the values raises DataError naming the column."""
    if kind not in KINDS:
        raise DataError(f"Unknown column kind {kind!r} for {name!r}; choose one of {', '.join(KINDS)}.")
    present = [v for v in values if not is_missing(v)]
    if kind == "numeric":
        nums, bad = parse_numbers(values, delimiter)
        if forced and present and len(bad) > STRAY_SHARE * len(present):
            raise DataError(f"The column {name!r} of {file} cannot be read as numbers ({_quote(sorted(set(bad))[:3])} "
                            "are not numbers); choose another kind for it.")
        return ParsedColumn("numeric", nums, stray=bad)
    if kind == "datetime":
        stamps, bad, used = parse_dates(values, day_first)
        if present and (not used or len(bad) > STRAY_SHARE * len(present)):
            raise DataError(f"The column {name!r} of {file} cannot be read as dates ({_quote(sorted(set(bad))[:3])} "
                            "are not dates in a format Workbench knows); choose another kind for it.")
        return ParsedColumn("datetime", stamps, stray=bad)
    if kind == "boolean":
        lowered = {v.strip().lower() for v in present}
        pair = boolean_pair(lowered)
        if pair is None:
            if len(lowered) != 2:
                raise DataError(f"The column {name!r} of {file} has {len(lowered)} different values, so it cannot be "
                                "yes / no; choose categorical for it.")
            pair = ({sorted(lowered)[1]}, {sorted(lowered)[0]})
        trues = pair[0]
        false_name = next((v.strip() for v in present if v.strip().lower() not in trues), "no")
        true_name = next((v.strip() for v in present if v.strip().lower() in trues), "yes")
        vals = np.array([np.nan if is_missing(v) else float(v.strip().lower() in trues) for v in values])
        return ParsedColumn("boolean", vals, [false_name, true_name])
    if kind == "text" and forced and not any(v.strip() for v in present):
        raise DataError(f"The text column {name!r} of {file} is empty in every row; choose a column that holds text.")
    # categorical, text, identifier, constant: codes over the sorted distinct values
    cleaned = [None if is_missing(v) else v.strip() for v in values]
    names = sorted({v for v in cleaned if v is not None})
    index = {c: i for i, c in enumerate(names)}
    codes = np.array([np.nan if v is None else index[v] for v in cleaned], dtype=np.float64)
    return ParsedColumn(kind, codes, names)


# ---------------------------------------------------------------------------------------------- choices
def target_candidates(report: list[dict]) -> list[str]:
    """Columns of a load's report that can be the target (labels, yes/no, numbers), file order."""
    return [c["name"] for c in report if c["kind"] in TARGET_KINDS or c.get("role") == "target"]


def time_candidates(report: list[dict]) -> list[str]:
    """Columns that can order the rows in time (dates, or numbers such as a year or a counter)."""
    return [c["name"] for c in report if c["kind"] in ("datetime", "numeric", "identifier") or c.get("role") == "time"]


OVERRIDE_CHOICES = KINDS + ("ignore",)
