"""Wall time of shell commands run in turn, for a shared, noisy machine.

    python3 interleave.py ROUNDS FRESH_DIR CMD...

Each round runs every command once, in order, removing FRESH_DIR (a key
store directory) before each run, so all commands see the same load. Prints
each command's median wall time and the median of its per-round ratio to
the first command (BENCHMARKS.md, "Key store").
"""
import shutil
import statistics
import subprocess
import sys
import time

rounds, fresh, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = [[] for _ in cmds]
for _ in range(rounds):
    for i, cmd in enumerate(cmds):
        shutil.rmtree(fresh, ignore_errors=True)
        began = time.perf_counter()
        subprocess.run(cmd, shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[i].append(time.perf_counter() - began)
for i, cmd in enumerate(cmds):
    ratio = statistics.median(a / b for a, b in zip(times[i], times[0]))
    print(f"{statistics.median(times[i]) * 1000:8.1f} ms  x{ratio:5.2f}  {cmd}")
