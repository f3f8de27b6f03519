"""Realistic sample contexts for pipelines.formats.documents, one function per kind (reuse them in tests).

Every function returns exactly the contract keys of its kind (pipelines.formats.documents.CONTEXT_KEYS).
The DER title carries ``&``, ``<``, ``>`` and double quotes on purpose: TRICKY_TITLE.
"""

from __future__ import annotations

TRICKY_TITLE = 'Python & <Data> "Science"'
# the facts a protocol's reasoned decision is worded from (pipelines/jobs/paperwork.py Account.as_context)
ACCOUNT = {
    "aggregate": "mean",
    "criteria": 7,
    "min_experts": 3,
    "ders": [
        {
            "id": "DER-7K2QF9",
            "title": TRICKY_TITLE,
            "score": "8,67",
            "raters": [
                {"name": "Ким О.", "email": "kim@atu.kz", "counted": True, "why": "", "missing": 0, "criteria": 0},
                {
                    "name": "Ли В.",
                    "email": "li@atu.kz",
                    "counted": False,
                    "why": "recused",
                    "missing": 0,
                    "criteria": 0,
                },
            ],
        }
    ],
    "decisions": [],
    "criterion_ties": [],
    "titles": {"DER-7K2QF9": TRICKY_TITLE},
}
REGULATION = "АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04"

CRITERIA = {
    "kk": [
        "СББР материалдарының толықтығы",
        "Мәтіндік материалдың қолжетімділігі мен сапасы",
        "Бейне/анимацияның қолжетімділігі мен сапасы",
        "СББР жобалау және безендіру",
        "Интерактивті әдістерді қолдану",
        "Тест тапсырмаларының болуы және сапасы (квиздер, сауалнамалар)",
        "Жалпы әсер",
    ],
    "ru": [
        "Полнота материалов ЦОР",
        "Доступность и качество текстовых материалов",
        "Доступность и качество видео/анимации",
        "Дизайн и оформление ЦОР",
        "Использование интерактивных методов",
        "Наличие и качество тестовых заданий (квизы, опросы)",
        "Общее впечатление",
    ],
}

MEMBERS = {
    "kk": [
        {"name": "Сейтқали Айгүл Бекқызы", "role": "төраға"},
        {"name": "Жұмабеков Ерлан Маратұлы", "role": "мүше"},
        {"name": "Петрова Ольга Игоревна", "role": "хатшы"},
    ],
    "ru": [
        {"name": "Сейткали Айгуль Беккызы", "role": "председатель"},
        {"name": "Жумабеков Ерлан Маратович", "role": "член комиссии"},
        {"name": "Петрова Ольга Игоревна", "role": "секретарь"},
    ],
}

DECISIONS = {
    "kk": [
        {
            "kind": "шеттету (9.10)",
            "by": "Жұмабеков Е. М.",
            "at": "10.03.2027 14:05",
            "reason": "Енгізу актісі басқа СББР-ге жатады",
        }
    ],
    "ru": [
        {
            "kind": "дисквалификация (9.10)",
            "by": "Жумабеков Е. М.",
            "at": "10.03.2027 14:05",
            "reason": "Акт внедрения относится к другому ЦОР",
        }
    ],
}


def common(lang: str) -> dict:
    return {
        "lang": lang,
        "edition_name": "АТУ үздік цифрлық білім беру ресурсы – 2027"
        if lang == "kk"
        else "Лучший цифровой образовательный ресурс АТУ – 2027",
        "year": 2027,
        "doc_date": "12.03.2027",
        "regulation": REGULATION,
    }


def form01(lang: str = "kk") -> dict:
    kk = lang == "kk"
    return {
        **common(lang),
        "application_id": "DER-7K2QF9",
        "faculty": "Ақпараттық технологиялар факультеті" if kk else "Факультет информационных технологий",
        "department": "Ақпараттық жүйелер кафедрасы" if kk else "Кафедра информационных систем",
        "title": TRICKY_TITLE,
        "authors": [
            {
                "name": "Әбдірахманова Гүлнар Серікқызы",
                "position": "қауымдастырылған профессор" if kk else "ассоциированный профессор",
                "contact": "g.abdirakhmanova@atu.edu.kz, +7 701 555 12 34",
            },
            {
                "name": "Иванов Сергей Петрович",
                "position": "аға оқытушы" if kk else "старший преподаватель",
                "contact": "s.ivanov@atu.edu.kz",
            },
        ],
        "languages": "қазақ, орыс" if kk else "казахский, русский",
        "der_type": "онлайн-курс (12 тақырып)" if kk else "онлайн-курс (12 тем)",
        "justification": (
            "Курс 2025 жылдан бастап оқу процесінде қолданылады.\nАвтоматты тексерілетін 40 тапсырма бар."
            if kk
            else "Курс используется в учебном процессе с 2025 года.\nСодержит 40 заданий с автоматической проверкой."
        ),
        "link": "https://skills.atu.kz/course/view.php?id=412&section=2",
        "act_files": ["akt_vnedreniya_2026.pdf"],
        "certificate_files": [],
        "submitted_at": "03.02.2027 10:15",
        "head_of_department": "Нұрланов Бауыржан Асқарұлы",
    }


def protocol_extract(lang: str = "kk", stage: int = 1) -> dict:
    kk = lang == "kk"
    ders = [
        {
            "rank": 1,
            "id": "DER-7K2QF9",
            "title": TRICKY_TITLE,
            "authors": "Әбдірахманова Г. С., Иванов С. П.",
            "score": "8,67",
            "raters": 3,
            "selected_mark": "✓",
        },
        {
            "rank": 2,
            "id": "DER-3MZ8PA",
            "title": "Тағам өндірісінің технологиясы" if kk else "Технология пищевых производств",
            "authors": "Омарова Д. К.",
            "score": "7,95",
            "raters": 3,
            "selected_mark": "✓",
        },
        {
            "rank": 3,
            "id": "DER-Q1W2E3",
            "title": "Веб-бағдарламалау" if kk else "Веб-программирование",
            "authors": "Ли А. В.",
            "score": "6,10",
            "raters": 2,
            "selected_mark": "",
        },
    ]
    quota = 3 if stage == 1 else 2
    return {
        **common(lang),
        "stage": stage,
        "stage_title": ("Бірінші кезең (кафедра)" if stage == 1 else "Екінші кезең (факультет)")
        if kk
        else ("Первый этап (кафедра)" if stage == 1 else "Второй этап (факультет)"),
        "unit_name": ("Ақпараттық жүйелер кафедрасы" if stage == 1 else "Ақпараттық технологиялар факультеті")
        if kk
        else ("Кафедра информационных систем" if stage == 1 else "Факультет информационных технологий"),
        "commission_kind": ("кафедра отырысы" if stage == 1 else "факультеттің сараптамалық комиссиясы")
        if kk
        else ("заседание кафедры" if stage == 1 else "экспертная комиссия факультета"),
        "meeting_date": "11.03.2027",
        "protocol_number": "7",
        "chair": MEMBERS[lang][0]["name"],
        "secretary": MEMBERS[lang][-1]["name"],
        "members": MEMBERS[lang],
        "signers": [{**m, "note": ""} for m in MEMBERS[lang]],
        "reasoning": [
            "DER-7K2QF9: рейтинг балы 8,67; есепке алынған сарапшылар (3)."
            if kk
            else "DER-7K2QF9: рейтинговый балл 8,67; учтены оценки экспертов (3)."
        ],
        "account": ACCOUNT,
        "quota": quota,
        "ders": ders,
        "selected": [
            {"id": d["id"], "title": d["title"], "authors": d["authors"], "score": d["score"]} for d in ders[:2]
        ],
        "decision_text": (
            "Дауыс беру нәтижесі бойынша (қолдап – 3, қарсы – 0) ең жоғары балл жинаған екі СББР "
            "келесі кезеңге ұсынылсын."
            if kk
            else "По результатам голосования (за – 3, против – 0) представить на следующий этап "
            "два ЦОР, набравших наибольший балл."
        ),
        "decisions": DECISIONS[lang],
        "criteria_note": (
            "Балл – сарапшылардың 02 нысаны бойынша 7 критерий бойынша қойған ұпайларының орташа мәні (шкала 1–10)."
            if kk
            else "Балл – среднее баллов экспертов по 7 критериям формы 02 (шкала 1–10)."
        ),
        "post_freeze_edits": [],  # the annex appears only with an edit after a freeze
        "footer_proof": "Пайдаланылған бағалардың дайджесі: SHA-256 0123456789abcdef… (қосымшаны қараңыз)",
    }


def form02(lang: str = "kk", n_criteria: int = 7) -> dict:
    kk = lang == "kk"
    labels = (
        CRITERIA[lang] + [f"{'Қосымша критерий' if kk else 'Дополнительный критерий'} {i}" for i in range(8, 11)]
    )[:n_criteria]
    scores1 = [str(10 - (i % 3)) for i in range(n_criteria)]
    scores2 = [str(5 + (i % 4)) for i in range(n_criteria)]
    return {
        **common(lang),
        "stage": 1,
        "unit_name": "Ақпараттық жүйелер кафедрасы" if kk else "Кафедра информационных систем",
        "expert_name": "Жұмабеков Ерлан Маратұлы" if kk else "Жумабеков Ерлан Маратович",
        "criteria": [{"n": i + 1, "label": label} for i, label in enumerate(labels)],
        "sum_n": str(n_criteria + 1),
        "not_returned": "",
        "notes": [
            "1. "
            + (
                "сарапшының пікірі: Тапсырмалар жақсы құрылымдалған"
                if kk
                else "комментарий эксперта: Задания хорошо структурированы"
            )
        ],
        "rows": [
            {
                "n": 1,
                "title": TRICKY_TITLE,
                "authors": "Әбдірахманова Г. С., Иванов С. П.",
                "link": "https://skills.atu.kz/course/view.php?id=412",
                "scores": scores1,
                "total": str(sum(int(s) for s in scores1)),
            },
            {
                "n": 2,
                "title": "Тағам өндірісінің технологиясы" if kk else "Технология пищевых производств",
                "authors": "Омарова Д. К.",
                "link": "https://skills.atu.kz/course/view.php?id=377",
                "scores": scores2,
                "total": str(sum(int(s) for s in scores2)),
            },
        ],
    }


def _ranking(lang: str) -> list[dict]:
    kk = lang == "kk"
    return [
        {
            "rank": 1,
            "id": "DER-7K2QF9",
            "title": TRICKY_TITLE,
            "authors": "Әбдірахманова Г. С., Иванов С. П.",
            "faculty": "АТФ" if kk else "ФИТ",
            "department": "Ақпараттық жүйелер" if kk else "Информационные системы",
            "score": "9,12",
            "raters": 5,
            "place": "I",
        },
        {
            "rank": 2,
            "id": "DER-3MZ8PA",
            "title": "Тағам өндірісінің технологиясы" if kk else "Технология пищевых производств",
            "authors": "Омарова Д. К.",
            "faculty": "ТТФ" if kk else "ФПП",
            "department": "Тағам технологиясы" if kk else "Пищевая технология",
            "score": "8,40",
            "raters": 5,
            "place": "II",
        },
        {
            "rank": 3,
            "id": "DER-Z9X8C7",
            "title": "Жеңіл өнеркәсіп материалтануы" if kk else "Материаловедение лёгкой промышленности",
            "authors": "Сәрсенбаева Ә. Т.",
            "faculty": "ЖӨФ" if kk else "ФЛП",
            "department": "Дизайн" if kk else "Дизайн",
            "score": "7,75",
            "raters": 4,
            "place": "III",
        },
        {
            "rank": 4,
            "id": "DER-Q1W2E3",
            "title": "Веб-бағдарламалау" if kk else "Веб-программирование",
            "authors": "Ли А. В.",
            "faculty": "АТФ" if kk else "ФИТ",
            "department": "Ақпараттық жүйелер" if kk else "Информационные системы",
            "score": "7,10",
            "raters": 5,
            "place": "",
        },
    ]


def _winners(lang: str) -> list[dict]:
    return [
        {"place": r["place"], "id": r["id"], "title": r["title"], "authors": r["authors"], "score": r["score"]}
        for r in _ranking(lang)
        if r["place"]
    ]


def final_protocol(lang: str = "kk") -> dict:
    return {
        **common(lang),
        "meeting_date": "25.03.2027",
        "protocol_number": "3",
        "chair": "Құлажанов Талғат Қалиұлы" if lang == "kk" else "Кулажанов Талгат Калиевич",
        "secretary": MEMBERS[lang][-1]["name"],
        "members": MEMBERS[lang][1:],
        "signers": [{**m, "note": ""} for m in MEMBERS[lang]],
        "quorum": "5 / 7",
        "dossiers": [
            {
                "id": r["id"],
                "title": r["title"],
                "form01": "+",
                "attachments": "+",
                "extract1": "+",
                "extract2": "+",
                "complete": "+",
            }
            for r in _ranking(lang)
        ],
        "ranking": _ranking(lang),
        "winners": _winners(lang),
        "decisions": [],
        "reasoning": [],
        "account": {**ACCOUNT, "ders": [], "titles": {}},
        "votes": "5 / 0 / 0",
        "prize_places": 3,
        "post_freeze_edits": [],
        "footer_proof": "Дайджест использованных оценок: SHA-256 0123456789abcdef… (см. приложение)",
    }


def results(lang: str = "kk") -> dict:
    return {
        **common(lang),
        "winners": _winners(lang),
        "ranking": _ranking(lang),
        "ceremony": (
            "2027 жылғы 2 сәуір, 15:00, «АТУ» АҚ мәжіліс залы (Төле би к-сі, 100)"
            if lang == "kk"
            else "2 апреля 2027 г., 15:00, актовый зал АО «АТУ» (ул. Толе би, 100)"
        ),
        "chart_caption": "—",
        "chart_marker": "[[chart]]",
    }


def annex(lang: str = "kk") -> dict:
    kk = lang == "kk"
    return {
        **common(lang),
        "protocol_title": "Хаттамадан үзінді көшірмеге — I кезең" if kk else "к выписке из протокола — I этап",
        "unit_name": "Ақпараттық жүйелер кафедрасы" if kk else "Кафедра информационных систем",
        "rule_lines": ["Рейтинг балы — орташасы." if kk else "Рейтинговый балл — среднее.", "Квота: 3."],
        "ders": [
            {
                "rank": "1",
                "id": "DER-0001",
                "title": TRICKY_TITLE,
                "score": "61,50",
                "raters": "2",
                "sd": "2,12",
                "range": "3",
                "flag": "",
                "normalised": "60,10",
                "selected_mark": "✓",
            }
        ],
        "spread_note": "15",
        "criteria_legend": "1 — a; 2 — b",
        "ratings": [{"der": "DER-0001", "expert": "Ли Ольга", "scores": "9 · 8", "total": "17", "counted": "иә"}],
        "alpha_text": "α = 0,812.",
        "normalised_lines": ["—"],
        "flags": [],
        "decisions": [],
        "post_freeze_edits": [],
        "chart_caption": "—",
        "chart_marker": "[[chart]]",
        "proof_lines": ["SHA-256: " + "0" * 64],
        "footer_proof": "SHA-256 0000…",
    }


BUILDERS = {
    "annex": annex,
    "form01": form01,
    "protocol_extract": protocol_extract,
    "form02": form02,
    "final_protocol": final_protocol,
    "results": results,
}


def context_for(kind: str, lang: str) -> dict:
    """The sample context of ``kind`` in ``lang``."""
    return BUILDERS[kind](lang)
