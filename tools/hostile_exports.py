"""Generate hostile form exports and read each as intake does; print how many ended in a traceback.

Every export is made from the Kazakh form's header and answers built from what breaks readers: NULs,
BOMs, lone CRs, quotes, every delimiter, surrogates, formulas, template syntax, fields over the csv
module's 131,072-character limit (in the header line too), answers of exactly 32,767 characters (an
.xlsx cell's limit), UTF-16, truncated files, random bytes and zips that are not workbooks. A read
must give rows or a FormError (the kk/ru message naming the file); anything else is a traceback.

    .venv/bin/python tools/hostile_exports.py [--count 2000] [--seed 1]

The test suite runs a sample (tests/test_hostile_exports.py); this prints the figure for the whole run.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path

from openpyxl import Workbook

from pipelines.formats.cells import UNSTORABLE
from pipelines.formats.forms import FormError, read_export

HEADER = [
    "Уақыт белгісі",
    "Электрондық пошта мекенжайы",
    "1. Факультет",
    "2. Кафедра",
    "3. СББР атауы, пәнді көрсете отырып",
    "4. Автор(лар) аты-жөні, лауазымы, байланыс деректері",
    "5. Оқыту тілі",
    "6. СББР түрі (тақырыптар саны)",
    "7. Жаңалығы мен өзектілігінің негіздемесі",
    "8. СББР-ға сілтеме",
    "Оқу процесіне енгізу актісі",
    "СББР-ды білім беру платформасында орналастыру туралы анықтама",
]
PIECES = ["\x00", "\ufeff", "\r", "\n", '"', "'", ",", ";", "\t", "|", "\ufffe", "\x1b", "  ", "=1+1", "{{ x }}"]
WORDS = ["Иванов Иван", "ақпараттық", "2027-01-28 10:15:00", "28.01.2027 10:15:00", "1/28/2027 10:15:00", "é"]


def _cell(rnd: random.Random, huge: float) -> str:
    k = rnd.random()
    if k < huge:
        return "x" * rnd.choice([131_072, 131_073, 200_000])
    if k < 2 * huge:
        return "я" * 32_767
    return "".join(rnd.choice(PIECES + WORDS) for _ in range(rnd.randint(0, 8)))


def write_export(folder: Path, index: int, rnd: random.Random, huge: float = 0.01) -> Path:
    """One hostile export in `folder` (its kind chosen by `rnd`)."""
    header = [rnd.choice([h, _cell(rnd, huge), ""]) for h in HEADER][: rnd.randint(0, len(HEADER))]
    if rnd.random() < 0.1:
        header.insert(0, _cell(rnd, huge * 5))  # a huge field in the first line
    rows = [[_cell(rnd, huge) for _ in range(rnd.randint(0, 14))] for _ in range(rnd.randint(0, 5))]
    kind = rnd.choice(["csv", "csv", "xlsx", "bytes", "zip"])
    path = folder / f"export-{index}.{'xlsx' if kind in ('xlsx', 'zip') else 'csv'}"
    if kind == "csv":
        out = io.StringIO()
        quoting = rnd.choice([csv.QUOTE_MINIMAL, csv.QUOTE_NONE])
        writer = csv.writer(out, delimiter=rnd.choice(",;\t|"), quoting=quoting, escapechar="\\")
        for row in [header, *rows]:
            try:
                writer.writerow(row)
            except csv.Error:  # a record QUOTE_NONE cannot write: written quoted, as Excel would
                csv.writer(out).writerow(row)
        data = out.getvalue().encode(rnd.choice(["utf-8", "utf-16", "utf-8"]), "surrogatepass")
        path.write_bytes(data[: rnd.randint(0, len(data))] if rnd.random() < 0.2 else data)
    elif kind == "bytes":
        path.write_bytes(bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 300))))
    elif kind == "xlsx":
        book = Workbook()
        for row in [header, *rows]:
            book.active.append([UNSTORABLE.sub("", c) for c in row])  # what an .xlsx can hold
        book.save(path)
        if rnd.random() < 0.3:
            data = path.read_bytes()
            path.write_bytes(data[: rnd.randint(0, len(data))])
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("[Content_Types].xml", _cell(rnd, 0))
        path.write_bytes(buffer.getvalue())
    return path


def tracebacks(count: int, seed: int, folder: Path, huge: float = 0.01) -> list[str]:
    """Read `count` hostile exports; the tracebacks of those that ended in anything but a FormError."""
    rnd = random.Random(seed)
    found = []
    for index in range(count):
        path = write_export(folder, index, rnd, huge)
        try:
            read_export(path)
        except FormError as exc:
            for lang in ("kk", "ru"):  # a message in each language, naming the file
                if path.name not in exc.say(lang):
                    found.append(f"{path.name}: the {lang} message does not name the file: {exc.say(lang)}")
        except Exception:  # noqa: BLE001 - counted: that is what this tool measures
            found.append(f"{path.name}: {traceback.format_exc(limit=4)}")
        path.unlink()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        found = tracebacks(args.count, args.seed, Path(folder))
    for text in found:
        print(text, file=sys.stderr)
    print(f"hostile exports read: {args.count}, tracebacks: {len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
