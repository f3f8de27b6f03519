"""Write the docxtpl template of the annex "how this ranking was made" (issue 22), kk and ru.

    python docx_templates/build_annex.py [OUTDIR]      # default: this folder

Writes ``annex.<lang>.docx`` with the helpers and styles of build_templates.py (same header, fonts,
tag rules). As with the other templates, after the first run the .docx files are the source of truth.
The paragraph holding ``{{ chart_marker }}`` is where pipelines/jobs/annex.py puts the chart.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_templates import NONE, C, new_document, para, table, tag  # noqa: E402


def build_annex(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, "{{ regulation }}", landscape=True)
    para(doc, "ҚОСЫМША" if kk else "ПРИЛОЖЕНИЕ", style="Doc Title")
    para(doc, "{{ protocol_title }}", style="Doc Subtitle")
    para(doc, ("Рейтинг қалай жасалды", "b") if kk else ("Как составлен рейтинг", "b"), style="Doc Subtitle")
    para(doc, "{{ unit_name }}", style="Doc Subtitle")
    para(doc, ("«{{ edition_name }}» байқауы" if kk else "Конкурс «{{ edition_name }}»"), style="Doc Subtitle")
    para(doc, "")
    para(
        doc,
        (
            "Бұл қосымша ресми нәтижені өзгертпейді: ол сарапшылардың бағалары, олардың келісімі және "
            "кесу шегіне әсер еткен жайттар туралы дәлелдерді көрсетеді (9.4, 11.2–11.3, 13)."
            if kk
            else "Это приложение не меняет официальный результат: оно показывает оценки экспертов, их "
            "согласованность и то, что повлияло на проход через порог отбора (9.4, 11.2–11.3, 13)."
        ),
        style="Note Text",
    )

    para(doc, "1. Қолданылған ереже" if kk else "1. Применённое правило", style="Section Heading")
    tag(doc, "{%p for line in rule_lines %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")

    para(
        doc,
        "2. Рейтинг және бағалардың шашыраңқылығы" if kk else "2. Рейтинг и разброс оценок",
        style="Section Heading",
    )
    table(
        doc,
        (1.8, 3.2, 5.0, 2.0, 2.6, 2.3, 2.3, 2.4, 2.1, 2.2),
        [
            "Орны" if kk else "Место",
            "ID",
            "СББР атауы" if kk else "Наименование ЦОР",
            "Ресми балл" if kk else "Офиц. балл",
            "Сарапшы" if kk else "Экспертов",
            "Стандарт. ауытқу" if kk else "Станд. откл.",
            "Ең үлкені − ең кішісі" if kk else "Макс. − мин.",
            "Талқылау керек" if kk else "Нужно обсудить",
            "Қалыпт. балл" if kk else "Нормир. балл",
            "Іріктелді" if kk else "Отобран",
        ],
        [
            "{%tr for d in ders %}",
            [
                "{{ d.rank }}",
                "{{ d.id }}",
                "{{ d.title }}",
                "{{ d.score }}",
                "{{ d.raters }}",
                "{{ d.sd }}",
                "{{ d.range }}",
                "{{ d.flag }}",
                "{{ d.normalised }}",
                "{{ d.selected_mark }}",
            ],
            "{%tr endfor %}",
        ],
        aligns=(C, None, None, C, C, C, C, C, C, C),
    )
    para(doc, "{{ spread_note }}", style="Note Text")

    para(doc, "3. Әр сарапшының бағалары" if kk else "3. Оценки каждого эксперта", style="Section Heading")
    para(doc, "{{ criteria_legend }}", style="Note Text").paragraph_format.keep_with_next = True
    table(
        doc,
        (3.4, 6.4, 9.8, 2.4, 2.0),
        [
            "ID",
            "Сарапшы" if kk else "Эксперт",
            "Критерийлер бойынша балдар" if kk else "Баллы по критериям",
            "Жалпы балл" if kk else "Сумма баллов",
            "Есепке алынды" if kk else "Учтено",
        ],
        [
            "{%tr for r in ratings %}",
            ["{{ r.der }}", "{{ r.expert }}", "{{ r.scores }}", "{{ r.total }}", "{{ r.counted }}"],
            "{%tr endfor %}",
        ],
        aligns=(None, None, None, C, C),
    )

    para(doc, "4. Сарапшылардың келісімі" if kk else "4. Согласованность экспертов", style="Section Heading")
    para(doc, "{{ alpha_text }}", style="Body Text Justified")

    para(doc, "5. Қалыптандырылған көрініс" if kk else "5. Нормированный взгляд", style="Section Heading")
    tag(doc, "{%p for line in normalised_lines %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")

    para(
        doc,
        "6. Төраға көруге тиіс белгілер" if kk else "6. Отметки, которые должен видеть председатель",
        style="Section Heading",
    )
    tag(doc, "{%p if flags %}")
    tag(doc, "{%p for line in flags %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(
        doc,
        "7. Комиссияның тіркелген шешімдері" if kk else "7. Зафиксированные решения комиссии",
        style="Section Heading",
    )
    tag(doc, "{%p if decisions %}")
    table(
        doc,
        (7.0, 5.0, 3.0, 9.0),
        [
            "Шешім" if kk else "Решение",
            "Кім қабылдады" if kk else "Кем принято",
            "Күні" if kk else "Дата",
            "Негіздеме" if kk else "Основание",
        ],
        [
            "{%tr for d in decisions %}",
            ["{{ d.kind }}", "{{ d.by }}", "{{ d.at }}", "{{ d.reason }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(doc, "8. Мұздатудан кейінгі өзгерістер" if kk else "8. Изменения после заморозки", style="Section Heading")
    tag(doc, "{%p if post_freeze_edits %}")
    table(
        doc,
        (3.2, 5.0, 5.8, 10.0),
        [
            "Байқалды" if kk else "Замечено",
            "Сарапшы" if kk else "Эксперт",
            "Парақ (нұсқасы)" if kk else "Лист (версия)",
            "Не өзгерді" if kk else "Что изменено",
        ],
        [
            "{%tr for e in post_freeze_edits %}",
            ["{{ e.detected }}", "{{ e.expert }}", "{{ e.sheet }} ({{ e.revision }})", "{{ e.changes }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(doc, "9. Диаграмма" if kk else "9. Диаграмма", style="Section Heading")
    para(doc, "{{ chart_caption }}", style="Note Text").paragraph_format.keep_with_next = True
    para(doc, "{{ chart_marker }}", align=C)

    para(doc, "10. Деректердің дәлелі" if kk else "10. Подтверждение данных", style="Section Heading")
    tag(doc, "{%p for line in proof_lines %}")
    para(doc, "{{ line }}", style="Table Small")
    tag(doc, "{%p endfor %}")

    footer = doc.sections[0].footer.add_paragraph("{{ footer_proof }}", style="Table Small")
    footer.alignment = C
    return doc


def build_all(outdir: Path = HERE) -> list[Path]:
    written = []
    for lang in ("kk", "ru"):
        doc = build_annex(lang)
        props = doc.core_properties
        props.title = f"annex ({lang}) — АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04"
        props.author = "ATU CDB"
        props.language = {"kk": "kk-KZ", "ru": "ru-RU"}[lang]
        props.comments = "docxtpl template; see docx_templates/build_annex.py"
        path = outdir / f"annex.{lang}.docx"
        doc.save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
