"""The column titles of Google's response sheets, as Google writes them in each form locale: the
form's question titles (kk, ru, en: written here by hand, not by the product), and the two Google adds
first. Shared by the job tests (tests/jobs/jobkit.py) and the hostile-input tests."""

from __future__ import annotations

from pipelines.demo_data import HEADERS

# Google's response sheets head their columns with the form's question titles, in the form's
# language (kk, ru, en: written here by hand, not by the product); Google adds the first two.
GOOGLE_TITLES = {
    "kk": [
        "Уақыт белгісі",
        "Электрондық пошта мекенжайы",
        "1. Факультет",
        "2. Кафедра",
        "3. ЦББР атауы, пәнді көрсете отырып",
        "4. Автор(лар) аты-жөні, лауазымы, байланыс деректері",
        "5. Оқыту тілі",
        "6. ЦББР түрі (тақырыптар саны)",
        "7. Жаңалығы мен өзектілігінің негіздемесі, авторлардың ғылыми-әдістемелік қоры",
        "8. ЦББР-ға сілтеме",
        "Оқу процесіне енгізу актісі",
        "ЦББР-ды білім беру платформасында орналастыру туралы анықтама",
    ],
    "ru": list(HEADERS),  # the demo's own export is in Google's Russian locale
    "en": [
        "Timestamp",
        "Email Address",
        "Faculty",
        "Department",
        "DER title (with the discipline)",
        "Author(s) full name, position, contact",
        "Language of instruction",
        "DER type (number of topics)",
        "Justification of novelty and relevance, authors' backlog",
        "Link to the DER",
        "Act of implementation",
        "Certificate of placement",
    ],
}
