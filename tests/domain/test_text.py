import pytest

from pipelines.domain import text
from pipelines.domain.text import (
    fold_latin,
    normalise,
    normalise_person,
    normalise_url,
    same_person,
    similar,
    url_problem,
)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Кафедра  информационных систем", "кафедра информационных систем"),
        ("  «Кафедра» информационных-систем! ", "кафедра информационных систем"),
        ("Кафeдpа инфоpмационных систем", "кафедра информационных систем"),  # Latin e, p, p
        ("Aқпараттық жүйелер", "ақпараттық жүйелер"),  # Latin A
        ("Акпараттык жуйелер", "ақпараттық жүйелер"),  # typed without a Kazakh keyboard
        ("Ёлка", "елка"),
        ("Pythоn", "python"),  # Cyrillic о in a Latin word
        ("ＦＵＬＬ\u200bwidth", "fullwidth"),  # NFKC + zero-width space
    ],
)
def test_normalise_folds_what_people_type(a, b):
    assert normalise(a) == normalise(b)


def test_normalise_keeps_different_words_different():
    assert normalise("Кафедра физики") != normalise("Кафедра химии")
    assert normalise("") == ""
    assert normalise(None) == ""


def test_latin_word_in_cyrillic_text_stays_latin():
    assert normalise("Факультет IT") == "факультет it"


def test_similar():
    assert similar("Кафедра информационных систем", "Кафедра информацонных систем") > 0.9
    assert similar("Факультет IT", "Факультет ИТ") == 1.0  # compared transliterated too
    assert similar("Кафедра физики", "Кафедра пищевой безопасности") < 0.7
    assert similar("", "") == 0.0
    assert similar("a", "") == 0.0


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://WWW.Skills.ATU.kz/course/12/", "https://skills.atu.kz/course/12"),
        ("http://skills.atu.kz/course/12#section-2", "https://skills.atu.kz/course/12"),
        ("https://skills.atu.kz/course/12?utm_source=mail&utm_medium=x&id=3", "https://skills.atu.kz/course/12?id=3"),
        ("https://drive.google.com/file/d/AbC/view?usp=sharing", "https://drive.google.com/file/d/AbC/view"),
        ("skills.atu.kz/course/12", "https://skills.atu.kz/course/12"),
        ("https://skills.atu.kz:443/Course/12", "https://skills.atu.kz/Course/12"),  # paths keep their case
        ("https://skills.atu.kz:8080/x", "https://skills.atu.kz:8080/x"),
        ("  ", ""),
        ("нет ссылки", "нет ссылки"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "link, problem",
    [
        ("https://skills.atu.kz/course/1", None),
        ("http://moodle.atu.edu.kz/course/view.php?id=5", None),
        ("skills.atu.kz/course/1", "absolute"),
        ("ftp://files.atu.kz/der.zip", "scheme"),
        ("https://", "host"),
        ("https://localhost/x", "host"),
        ("https://skills.atu.kz/a b", "spaces"),
        ("нет", "absolute"),
        ("https://skills.atu.kz:99999/x", "valid URL"),
    ],
)
def test_url_problem(link, problem):
    result = url_problem(link)
    assert (result is None) if problem is None else (problem in result)


def test_normalise_person_is_order_insensitive_and_script_folded():
    assert normalise_person("Иванов Иван") == normalise_person("Ivan Ivanov")
    assert normalise_person("Ахметова Жанар") == normalise_person("Zhanar Akhmetova")
    assert normalise_person("") == frozenset()
    assert fold_latin("Юлия") == fold_latin("Yuliya")


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Иванов Иван Иванович", "Иванов Иван Иванович", True),
        ("Иванов Иван Иванович", "Иванов Иван", True),
        ("Иванов И.И.", "Иванов Иван Иванович", True),
        ("Ivanov Ivan", "Иванов Иван", True),
        ("Иванов Пётр", "Иванов Иван", False),
        ("Иванов", "Иванов Иван", False),  # a surname alone is not enough
        ("", "Иванов Иван", False),
    ],
)
def test_same_person(a, b, same):
    assert same_person(a, b) is same


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Иванов Иван", "Иванов И.", True),
        ("Иванов Иван Иванович", "Иванов И.И.", True),
        ("Иванов Иван", "Иванова Анна", False),
        ("Сериков Арман", "Сериков", False),
        ("Ivanov Ivan", "Иванов И.", True),
    ],
)
def test_same_person_gives_the_same_answer_in_both_orders(a, b, same):
    assert same_person(a, b) is same
    assert same_person(b, a) is same


def test_a_plain_query_is_kept_as_parsing_and_encoding_it_would_keep_it():
    """normalise_url only splits a plain query (most links): the same text as parse_qsl + urlencode."""
    import random
    from urllib.parse import parse_qsl, urlencode

    from pipelines.domain.text import _PLAIN_QUERY, _kept_query, _tracked

    rng = random.Random(2027)
    plain = 0
    for _ in range(20_000):
        alphabet = rng.choice(["aZ09_.-~=&", "aZ09_.-~=&%+;/?: Жé"])
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        if rng.random() < 0.3:
            query = rng.choice(["utm_source=x&", "UTM_x=&", "fbclid=1&", "usp=sharing&", "id=7&"]) + query
        plain += bool(_PLAIN_QUERY.fullmatch(query))
        expected = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _tracked(k)])
        assert _kept_query(query) == expected, query
    assert plain > 1000  # the short cut was taken often enough to be tested
    assert normalise_url("https://skills.atu.kz/course/view.php?id=301&utm_source=mail") == (
        "https://skills.atu.kz/course/view.php?id=301"
    )
    assert normalise_url("https://x.kz/a?q=a+b&fbclid=9") == "https://x.kz/a?q=a+b"


# --- names as documents print them ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "bare"),
    [
        ("«АТУ үздік СББР – 2027» байқауы", "АТУ үздік СББР – 2027"),
        ("«АТУ үздік СББР – 2027» Байқауы.", "АТУ үздік СББР – 2027"),
        ("АТУ үздік СББР – 2027 байқауы", "АТУ үздік СББР – 2027"),
        ("Конкурс «Лучший ЦОР – 2027»", "Лучший ЦОР – 2027"),
        ('конкурса "Лучший ЦОР"', "Лучший ЦОР"),
        ("«Лучший «цифровой» ресурс»", "Лучший «цифровой» ресурс"),  # quotes inside the name are kept
        ("«A» и «B»", "«A» и «B»"),  # not one pair around the whole
        ("  АТУ   үздік СББР ", "АТУ үздік СББР"),
    ],
)
def test_bare_edition_name(written, bare):
    assert text.bare_edition_name(written) == bare


@pytest.mark.parametrize(
    ("name", "kind", "lang", "phrase"),
    [
        ("Ақпараттық жүйелер кафедрасы", "department", "kk", "Ақпараттық жүйелер кафедрасының"),
        ("Ақпараттық жүйелер", "department", "kk", "Ақпараттық жүйелер кафедрасының"),
        ("Тамақ өндірісі технологиялары факультеті", "faculty", "kk", "Тамақ өндірісі технологиялары факультетінің"),
        ("Кафедра информационных систем", "department", "ru", "кафедры информационных систем"),
        ("Информационные системы", "department", "ru", "кафедры «Информационные системы»"),
        ("Факультет пищевых технологий", "faculty", "ru", "факультета пищевых технологий"),
    ],
)
def test_a_units_word_is_never_doubled(name, kind, lang, phrase):
    assert text.unit_genitive(name, kind, lang) == phrase
