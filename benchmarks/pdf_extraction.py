"""PDF extraction: our reader (pypdfium2) against `pdftotext -layout`, per file, in words and seconds.

    .venv/bin/python benchmarks/pdf_extraction.py devset/councils/docs devset/plans/docs

For each PDF: words in our text and in pdftotext's (and their ratio: ours keeps at least 95%
of them unless running headers and footers were most of the page), seconds for each, the
running header/footer lines dropped, and a total line. The time for pdftotext is the time of
the `pdftotext -layout FILE -` process (it starts a process per file, as a command-line tool
does); ours is the time of `read_pdf` in this process, best of --repeat runs for both.
pdftotext is used here for measuring only, never by the product.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.errors import UnreadableDocument
from assistant.ingest.readers.pdf import read_pdf

PDFTOTEXT = "/usr/bin/pdftotext"


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def pdftotext(path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    done = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=False)
    return done.stdout.decode("utf-8", "replace"), time.perf_counter() - start


def ours(path: Path, data: bytes) -> tuple[str, float, int, str]:
    start = time.perf_counter()
    try:
        got = read_pdf(path.name, data)
    except UnreadableDocument as exc:
        return "", time.perf_counter() - start, 0, exc.reason
    return got.extracted.text, time.perf_counter() - start, len(got.furniture), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the best time counts (default 3)")
    args = parser.parse_args(argv)
    files = sorted(p for folder in args.folders for p in (folder.glob("*.pdf") if folder.is_dir() else [folder]))
    if not files:
        print("no PDFs found", file=sys.stderr)
        return 1
    read_pdf("warm-up.pdf", files[0].read_bytes()) if files else None  # imports and PDFium start-up, once
    head = f"{'file':52} {'ours':>7} {'pdftotext':>9} {'ratio':>6} {'ours s':>8} {'ptt s':>8} {'x':>5} {'hdr/ftr':>7}"
    print(head)
    print("-" * len(head))
    tw_ours = tw_ptt = 0
    ts_ours = ts_ptt = 0.0
    worst = 0.0
    for path in files:
        data = path.read_bytes()
        best_ours, best_ptt = float("inf"), float("inf")
        text = ref = ""
        dropped, problem = 0, ""
        for _ in range(max(args.repeat, 1)):
            text, s, dropped, problem = ours(path, data)
            best_ours = min(best_ours, s)
            ref, s = pdftotext(path)
            best_ptt = min(best_ptt, s)
        w_ours, w_ptt = words(text), words(ref)
        ratio = w_ours / w_ptt if w_ptt else float("nan")
        times = best_ours / best_ptt if best_ptt else float("nan")
        worst = max(worst, times)
        tw_ours += w_ours
        tw_ptt += w_ptt
        ts_ours += best_ours
        ts_ptt += best_ptt
        note = f"  ({problem})" if problem else ""
        print(f"{path.name[:52]:52} {w_ours:7d} {w_ptt:9d} {ratio:6.3f} {best_ours:8.3f} {best_ptt:8.3f} "
              f"{times:5.2f} {dropped:7d}{note}")
    print("-" * len(head))
    print(f"{'TOTAL (' + str(len(files)) + ' files)':52} {tw_ours:7d} {tw_ptt:9d} {tw_ours / max(tw_ptt, 1):6.3f} "
          f"{ts_ours:8.3f} {ts_ptt:8.3f} {ts_ours / max(ts_ptt, 1e-9):5.2f}")
    print(f"slowest file relative to pdftotext: {worst:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
