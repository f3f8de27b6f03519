"""Text folding for matching what people type against what the config lists. Pure functions.

`normalise` is for comparing, never for showing: it folds case, punctuation, Latin look-alike letters
inside Cyrillic words (and the reverse), `ё`, and the Kazakh letters people replace by their Russian
keyboard neighbours (қ→к, ә→а, і→и …), so "Ақпараттық жүйелер", "Акпараттык жуйелер" and
"Aқпараттық жүйелер" (Latin A) all fold to the same text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit

from rapidfuzz import fuzz

# Latin letters that look like Cyrillic ones (after casefold), and the reverse.
_LATIN_TO_CYR = str.maketrans("aeopcxykmthbi", "аеорсхукмтнві")
_CYR_TO_LATIN_LOOKALIKE = str.maketrans("аеорсхуікмтнв", "aeopcxyikmthb")
# Kazakh letters and Russian variants folded to the letter people type instead.
_KAZ_RU = str.maketrans("әғқңөұүһіё", "агкнооухие")
# Cyrillic -> Latin transliteration, for comparing names written in either script. Our own: it must
# fold Kazakh letters as people here type them in Latin (қ -> k, ә -> a, і -> i), as no standard does.
_TRANSLIT = {
    "а": "a",
    "ә": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "і": "i",
    "к": "k",
    "қ": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ұ": "u",
    "ү": "u",
    "ф": "f",
    "х": "h",
    "һ": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sh",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
# Spelling variants of the same sound in Latin transcriptions (Akhmetov/Ahmetov, Zhanar/Janar …).
_LATIN_VARIANTS = (("kh", "h"), ("j", "zh"), ("x", "ks"), ("q", "k"), ("w", "v"), ("y", "i"))
_TRACKING_PARAMS = {"fbclid", "gclid", "yclid", "usp"}


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z"


def _fold_word(word: str) -> str:
    """Map look-alike letters to the script most of the word is written in."""
    cyr = sum(_is_cyrillic(c) for c in word)
    lat = sum(_is_latin(c) for c in word)
    if cyr and lat:
        word = word.translate(_LATIN_TO_CYR) if cyr >= lat else word.translate(_CYR_TO_LATIN_LOOKALIKE)
    return word


def _clean(text: str) -> str:
    """NFKC, casefold, punctuation and symbols to spaces, invisible characters dropped."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":  # zero-width joiners, soft hyphens
            continue
        out.append(" " if cat[0] in "PSZC" else ch)
    return " ".join("".join(out).split())


@functools.lru_cache(maxsize=1 << 16)  # pure; the same names recur across rows and units
def normalise(text: str) -> str:
    """Text folded for matching (see the module docstring); "" for empty input."""
    words = [_fold_word(w) for w in _clean(text).split()]
    return " ".join(words).translate(_KAZ_RU)


@functools.lru_cache(maxsize=1 << 16)  # pure; the same names recur across rows and units
def fold_latin(text: str) -> str:
    """`normalise`, then transliterated to Latin: "Ахметова" and "Akhmetova" fold alike."""
    text = "".join(_TRANSLIT.get(ch, ch) for ch in _clean(text))
    for a, b in _LATIN_VARIANTS:
        text = text.replace(a, b)
    return re.sub(r"(?<=[aeou])i(?=[aeou])", "", text)  # a glide between vowels: Serikbayeva ~ Серікбаева


def similar(a: str, b: str) -> float:
    """0..1 similarity of the normalised texts, also compared transliterated; 0 if one is empty.
    rapidfuzz's `ratio`: 2 x the longest common subsequence / both lengths (difflib's ratio counts
    its matching blocks instead; on the names and headers of the tests both give the same decisions,
    docs/performance/libraries.md)."""
    return similar_above(a, b, 0.0)


def similar_above(a: str, b: str, floor: float) -> float:
    """`similar(a, b)` where it reaches `floor`, else 0.0 (rapidfuzz stops early below its cutoff)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    cutoff = floor * 100
    best = max(fuzz.ratio(na, nb, score_cutoff=cutoff), fuzz.ratio(fold_latin(a), fold_latin(b), score_cutoff=cutoff))
    return best / 100


_HOST_LIKE = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?::\d+)?(?:[/?#]|$)")


def with_scheme(link: str) -> str:
    """A link written without its scheme ("moodle.atu.kz/course/view.php?id=7") as https; any other
    text as given (stripped)."""
    text = str(link or "").strip()
    if text and "://" not in text and not re.search(r"\s", text) and _HOST_LIKE.match(text):
        return "https://" + text
    return text


def host_of(link: str) -> str:
    """The host name of an http(s) link, lower case, without `www.` ("" when there is none)."""
    try:
        host = urlsplit(with_scheme(link)).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


@functools.lru_cache(maxsize=1 << 16)  # pure; each link is checked by several rules
def normalise_url(url: str) -> str:
    """A URL folded for comparing: scheme and host lowercase, http = https, no `www.`, no default
    port, no trailing `/`, no fragment, no tracking parameters (utm_*, fbclid, usp …).
    A scheme-less "host.tld/path" is read as https; text that is no URL comes back stripped."""
    text = unicodedata.normalize("NFKC", str(url or "")).strip()
    if not text:
        return ""
    if "://" not in text and _HOST_LIKE.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return text.rstrip("/")
    host = parts.hostname.lower().removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = _kept_query(parts.query)
    return f"https://{host}{path}" + (f"?{query}" if query else "")


# key=value pairs that parse_qsl + urlencode give back unchanged (nothing to unquote or quote)
_PLAIN_QUERY = re.compile(r"[\w.~-]+=[\w.~-]*(?:&[\w.~-]+=[\w.~-]*)*", re.ASCII)


def _tracked(key: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def _kept_query(query: str) -> str:
    """The query without tracking parameters, re-encoded; a plain one ("id=301&lang=kk", most
    links) is only split, which gives the same text as parsing and encoding it."""
    if _PLAIN_QUERY.fullmatch(query):
        return "&".join(pair for pair in query.split("&") if not _tracked(pair.partition("=")[0]))
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _tracked(k)])


@functools.lru_cache(maxsize=1 << 16)  # pure; the same names recur across rows and units
def normalise_person(name: str) -> frozenset[str]:
    """The words of a full name, order-insensitive, Latin and Cyrillic folded alike.
    "Иванов Иван" == "Ivan Ivanov"; an initial ("И.") stays a one-letter word."""
    return frozenset(w for w in fold_latin(name).split() if w)


def same_person(a: str, b: str) -> bool:
    """Do two written names denote the same person? Equal word sets, or one name is the other with
    the patronymic left out or given names written as initials ("Иванов И.И." ~ "Иванов Иван Иванович").
    Symmetric: the answer never depends on which name comes first."""
    wa, wb = normalise_person(a), normalise_person(b)
    if not wa or not wb:
        return False
    la, lb = fold_latin(a).split(), fold_latin(b).split()  # in the order typed, for the initials
    return wa == wb or _shortens(la, wb) or _shortens(lb, wa)


def _shortens(short: list[str], long: frozenset[str]) -> bool:
    """Every full word of `short` is in `long`, and each of its initials, in the order typed, starts
    another word of `long` (a last initial may stand for a patronymic `long` leaves out)."""
    full = [w for w in short if len(w) > 1]
    if not full or not all(w in long for w in full):
        return False
    rest = [w for w in long if w not in full]
    initials = [w for w in short if len(w) == 1]
    matched = 0
    for initial in initials:
        hit = next((w for w in rest if w.startswith(initial)), None)
        if hit is None:
            if rest:  # a given name that the initial does not start: another person
                return False
            continue  # the other name leaves the patronymic out: "Ахметова Г.Б." ~ "Ахметова Гульнара"
        rest.remove(hit)
        matched += 1
    return len(full) + matched >= 2


@functools.lru_cache(maxsize=1 << 16)  # pure; each link is checked by several rules
def url_problem(link: str) -> str | None:
    """What is wrong with `link` as an absolute http(s) URL with a host name; None when nothing is."""
    s = link.strip()
    if re.search(r"\s", s):
        return "contains spaces; give one link"
    try:
        parts = urlsplit(s)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "is not a valid URL"
    if "://" not in s or not parts.scheme:
        return "is not an absolute URL (it should start with https://)"
    if parts.scheme.lower() not in ("http", "https"):
        return f"is not a web address (scheme {parts.scheme!r}, expected http or https)"
    if not host or "." not in host or not re.fullmatch(r"[\w.-]+", host) or ".." in host:
        return "has no valid host name"
    return None


# --- names as documents print them ---------------------------------------------------------------
# CDB may write the edition's name bare (АТУ үздік СББР – 2027) or as the official name is written
# («АТУ үздік СББР – 2027» байқауы; Конкурс «Лучший ЦОР АТУ – 2027»); the templates put the quotes and
# the word for "contest" around it in the case each sentence needs, so they get the bare name.
_CLOSING = {"«": "»", '"': '"', "“": "”", "„": "“"}
_KK_CONTEST_WORD = re.compile(r"\s+байқауы?\s*[.,;]?\s*$", re.IGNORECASE)
_RU_CONTEST_WORD = re.compile(r"^конкурс[а-яё]*\s+(?=[«\"“„])", re.IGNORECASE)


def _unquoted(text: str) -> str:
    """`text` without one pair of quotes around the whole of it (nested «» inside are kept)."""
    if len(text) < 2 or text[0] not in _CLOSING or text[-1] != _CLOSING[text[0]]:
        return text
    opening, closing = text[0], _CLOSING[text[0]]
    if opening == closing:
        return text[1:-1].strip() if closing not in text[1:-1] else text
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == opening) - (ch == closing)
        if depth == 0 and i < len(text) - 1:
            return text  # «A» and «B»: the first pair closes before the end
    return text[1:-1].strip()


def bare_edition_name(name: str) -> str:
    """The edition's name without the quotes and the word "contest" the official form carries:
    «X» байқауы, X байқауы, Конкурс «X», «X» and X all give X."""
    text = " ".join(str(name).split())
    text = _KK_CONTEST_WORD.sub("", text)
    text = _RU_CONTEST_WORD.sub("", text)
    return _unquoted(text) or text


# A unit's name in the config is its official name, which already says what it is ("Ақпараттық
# жүйелер кафедрасы", "Кафедра информационных систем"); the word is added only to a name without it.
UNIT_WORDS = {
    "department": {"kk": ("кафедрасы", "кафедрасының"), "ru": ("кафедра", "кафедры")},
    "faculty": {"kk": ("факультеті", "факультетінің"), "ru": ("факультет", "факультета")},
}


def unit_genitive(name: str, kind: str, lang: str) -> str:
    """ "of the department/faculty <name>" as one phrase, the unit's word in it once:
    kk "Ақпараттық жүйелер кафедрасы" -> "Ақпараттық жүйелер кафедрасының" (a bare name gets
    " кафедрасының"); ru "Кафедра информационных систем" -> "кафедры информационных систем"
    (a name without the word: "кафедры «<name>»")."""
    nominative, genitive = UNIT_WORDS[kind][lang]
    text = " ".join(str(name).split())
    if lang == "kk":
        if text.casefold().endswith(nominative):
            return text[: -len(nominative)] + genitive
        return f"{text} {genitive}"
    first, _, rest = text.partition(" ")
    if first.casefold() == nominative and rest:
        return f"{genitive} {rest}"
    return f"{genitive} «{text}»"
