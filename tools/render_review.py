"""Render every kind of document the contest leaves, in Kazakh and Russian, to PNG pages to look at.

    .venv/bin/python tools/render_review.py OUTDIR [--lang kk] [--lang ru] [--dpi 60]

For each language it runs the demo edition in OUTDIR/<lang>/demo (the local workspace), then takes one
document of each kind — a form 01 letter, the stage-1 extract that printed a tie decision and its
annex, a filled form 02, a form 02 of an expert who returned nothing, the rating sheet an expert
prints (.xlsx), the final protocol and its annex, and the results — converts them to PDF with
LibreOffice (the results PDF is the one the job made) and each page to PNG with pdftoppm:
OUTDIR/<lang>/<name>-<page>.png. It prints one line per document with its page count.

A reviewer's tool, not part of the product (it lives outside the package). It needs LibreOffice
(`soffice`) and poppler (`pdftoppm`) and says so when either is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What to look at, as a path under the workspace's drive/ (a glob; the first match is taken).
DOCUMENTS = (
    ("form01", "intake/FIT/FIT-IS/form01_*.docx"),
    ("protocol_extract", "stage-1/FIT-IS/protocol_extract_s1_FIT-IS.docx"),
    ("protocol_extract_annex", "stage-1/FIT-IS/protocol_extract_s1_FIT-IS_annex.docx"),
    ("protocol_extract_s2", "stage-2/FIT/protocol_extract_s2_FIT.docx"),
    ("form02", "stage-1/FIT-IS/form02/form02_s1_FIT-IS_*.docx"),
    ("rating_sheet", "stage-1/FIT-IS/sheets/form02_s1_FIT-IS_*.xlsx"),
    ("final_protocol", "stage-3/contest/final_protocol.docx"),
    ("final_protocol_annex", "stage-3/contest/final_protocol_annex.docx"),
    ("results", "results/results.pdf"),
)


def missing_tools() -> list[str]:
    return [name for name in ("soffice", "pdftoppm") if shutil.which(name) is None]


def run_demo(directory: Path, lang: str) -> Path:
    """The demo edition in `lang`, run to the end; returns the workspace's drive folder."""
    from pipelines.demo import run_demo as demo

    os.environ["CONTEST_LANGUAGE"] = lang
    try:
        for _line in demo(directory, quiet=True):
            pass
    finally:
        del os.environ["CONTEST_LANGUAGE"]
    return directory / "workspace" / "drive"


def form02_returned_nothing(directory: Path, lang: str, out: Path) -> Path:
    """The form 02 of an expert who returned nothing: the demo's first stage-1 expert of FIT-IS,
    written as if none of their ratings had come back."""
    from pipelines.backends import open_workspace
    from pipelines.config import load_config
    from pipelines.domain import assignment as assigning
    from pipelines.jobs.common import Run
    from pipelines.jobs.paperwork import form02_document

    os.environ["CONTEST_LANGUAGE"] = lang
    try:
        config = load_config(directory / "contest.yaml")
    finally:
        del os.environ["CONTEST_LANGUAGE"]
    run = Run(config=config, workspace=open_workspace(config), now=config.calendar.stage_close(3) + timedelta(days=2))
    sheets = [a for a in run.state.assignments if a.stage == 1 and a.group == "FIT-IS"]
    group = next(
        g for g, _m in assigning.stage_groups(config.organisation(), 1, run.state.candidates(1)) if g.id == "FIT-IS"
    )
    out.write_bytes(form02_document(run, 1, group, sheets[0], [])[1]())
    return out


def to_pngs(document: Path, out: Path, name: str, dpi: int) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="render-review-") as tmp:
        pdf = document
        if document.suffix != ".pdf":
            subprocess.run(
                [
                    "soffice",
                    f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(document),
                ],
                check=True,
                capture_output=True,
                timeout=300,
                env=dict(os.environ, HOME=tmp),
            )
            pdf = Path(tmp, document.stem + ".pdf")
        for old in out.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / name)], check=True, timeout=300)
    return sorted(out.glob(f"{name}-*.png"))


def review(outdir: Path, langs: list[str], dpi: int) -> list[tuple[str, str, int]]:
    done = []
    for lang in langs:
        out = outdir / lang
        out.mkdir(parents=True, exist_ok=True)
        drive = run_demo(out / "demo", lang)
        found = [(name, next(iter(sorted(drive.glob(pattern))), None)) for name, pattern in DOCUMENTS]
        nothing = form02_returned_nothing(out / "demo", lang, out / "form02_returned_nothing.docx")
        found.append(("form02_returned_nothing", nothing))
        for name, path in found:
            if path is None:
                print(f"{lang} {name}: not made by the demo", file=sys.stderr)
                continue
            pages = to_pngs(path, out, name, dpi)
            done.append((lang, name, len(pages)))
            print(f"{lang} {name}: {len(pages)} page(s) from {path.name}")
    return done


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--lang", action="append", choices=("kk", "ru"))
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args(argv)
    lacking = missing_tools()
    if lacking:
        print(
            f"needs {' and '.join(lacking)} (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils)"
        )
        return 2
    review(args.outdir, args.lang or ["kk", "ru"], args.dpi)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
