"""Build the prompt guard's English word list from SCOWL (the Debian package ``wamerican``), for the person-name
rules of raigov.genai.guard.names: which capitalised words are ordinary English words (SCOWL's entries in lower
case: 63,875 words with their inflections).

    apt-get install wamerican
    .venv/bin/python scripts/build_guard_words.py [/usr/share/dict/american-english]

Writes src/raigov/genai/guard/data/english_words.txt.gz (one word a line, sorted; gzip with a fixed time stamp,
so the same input gives the same bytes). SCOWL's licence is in
src/raigov/genai/guard/data/SCOWL-LICENSE.txt. Run at development time only: the product reads the files it ships.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "raigov" / "genai" / "guard" / "data"


def write(path: Path, words: set[str]) -> None:
    data = ("\n".join(sorted(words)) + "\n").encode("ascii")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    print(f"{path.name}: {len(words):,} words, {path.stat().st_size:,} bytes")


def main(source: str = "/usr/share/dict/american-english") -> None:
    words = Path(source).read_text(encoding="utf-8").split()
    write(OUT / "english_words.txt.gz", {w for w in words if re.fullmatch(r"[a-z]+", w)})


if __name__ == "__main__":
    main(*sys.argv[1:])
