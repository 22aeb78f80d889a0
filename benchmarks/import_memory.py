"""Peak memory and time of a streaming import of a large JSON Lines file (run on demand).

    python benchmarks/import_memory.py [--sizes 200,500,1000] [--dir /tmp]

For each size (MB) a JSON Lines file of about that size is generated in ``--dir`` (English
documents of a few KB with metadata, one in five partly Chinese), then imported by
:func:`analysis.importers.stream_import` in a fresh subprocess, which reports its peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and wall time. Constant memory shows as a
peak RSS that does not grow with the file size. With ``--in-memory`` the same files are also read
by :func:`analysis.read_corpus` (the whole corpus in memory), for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_WORDS = ("the party state security ideology network media convergence must persist leadership cyberspace "
          "sovereignty development governance public opinion guidance propaganda innovation reform").split()
_ZH = "网络安全是国家安全的重要组成部分我们要加强管理坚持党的领导"


def generate(path: Path, megabytes: int, seed: int = 0) -> int:
    """Write a JSON Lines file of about ``megabytes`` MB; return its number of documents."""
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    size = n = 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < target:
            paras = []
            for _ in range(rng.randint(2, 6)):
                words = rng.choices(_WORDS, k=rng.randint(40, 160))
                paras.append(" ".join(words).capitalize() + ".")
            if n % 5 == 0:
                paras.append("".join(rng.choices(_ZH, k=rng.randint(40, 120))) + "。")
            line = json.dumps({"doc_id": f"d{n:08d}", "text": "\n\n".join(paras), "outlet": rng.choice(["Xinhua", "Qiushi"]),
                               "date": f"2014-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}, ensure_ascii=False) + "\n"
            fh.write(line)
            size += len(line.encode("utf-8"))
            n += 1
    return n


_CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
if sys.argv[3] == "stream":
    from analysis.importers import stream_import
    n = stream_import(sys.argv[1], sys.argv[2])
else:
    from analysis.importers import read_corpus
    n = len(read_corpus(sys.argv[1]))
print(json.dumps({"documents": n, "seconds": time.perf_counter() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path, out: Path, mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(out), mode], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,500,1000", help="file sizes in MB, comma-separated (default 200,500,1000)")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where the files are generated (default: the temp folder)")
    ap.add_argument("--in-memory", action="store_true", help="also measure read_corpus (the whole corpus in memory)")
    args = ap.parse_args(argv)
    base = Path(args.dir) / "tifa-import-memory"
    base.mkdir(parents=True, exist_ok=True)
    baseline = subprocess.run([sys.executable, "-c", "import resource, analysis.importers; "
                               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    print(f"python + analysis.importers imported, nothing read: peak RSS {float(baseline):.0f} MB")
    print(f"{'file MB':>8} {'documents':>10} {'mode':>9} {'seconds':>8} {'MB/s':>6} {'peak RSS MB':>12}")
    for mb in (int(x) for x in args.sizes.split(",")):
        src = base / f"corpus-{mb}MB.jsonl"
        if not src.exists():
            t0 = time.perf_counter()
            generate(src, mb)
            print(f"(generated {src} in {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        real_mb = src.stat().st_size / 1e6
        for mode in ("stream", "in-memory") if args.in_memory else ("stream",):
            out = base / f"out-{mb}-{mode}"
            if out.exists():
                import shutil

                shutil.rmtree(out)
            r = measure(src, out, mode)
            print(f"{real_mb:8.0f} {r['documents']:10,} {mode:>9} {r['seconds']:8.1f} {real_mb / r['seconds']:6.1f} "
                  f"{r['peak_rss_mb']:12.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
