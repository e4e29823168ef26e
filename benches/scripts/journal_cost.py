"""Per-transaction cost of three ways to run the key store's writes.

    python3 journal_cost.py [ROWS]

WAL; WAL plus a truncating checkpoint after each erasing transaction; a
TRUNCATE rollback journal (SqliteKeyStore's choice, docs/DESIGN.md §8.3).
Same pragmas as the store. Interleaved: one transaction of each in turn, so
all three see the same disk load. Prints median microseconds and the median
ratio to WAL (BENCHMARKS.md, "Key store").
"""
import os, sqlite3, statistics, sys, tempfile, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
MODES = (("wal", False), ("wal", True), ("truncate", False))
conns = []
for mode, _ in MODES:
    d = tempfile.mkdtemp()
    c = sqlite3.connect(os.path.join(d, "t.db"), isolation_level=None)
    for p in ("journal_mode=%s" % mode, "synchronous=FULL", "secure_delete=ON", "temp_store=MEMORY"):
        c.execute("PRAGMA " + p)
    c.execute("CREATE TABLE k (r BLOB PRIMARY KEY, i BLOB UNIQUE, b BLOB)")
    conns.append(c)
rows = [(os.urandom(32), os.urandom(32), os.urandom(500)) for _ in range(N)]
ins = [[] for _ in MODES]; dele = [[] for _ in MODES]
def txn(c, sql, args, checkpoint):
    t = time.perf_counter()
    c.execute("BEGIN IMMEDIATE"); c.execute(sql, args); c.execute("COMMIT")
    if checkpoint:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return time.perf_counter() - t
for r in rows:
    for m, (c, (_, cp)) in enumerate(zip(conns, MODES)):
        ins[m].append(txn(c, "INSERT INTO k VALUES (?,?,?)", r, False))
for r in rows:
    for m, (c, (_, cp)) in enumerate(zip(conns, MODES)):
        dele[m].append(txn(c, "DELETE FROM k WHERE r = ?", (r[0],), cp))
med = lambda xs: statistics.median(xs) * 1e6
print("sqlite", sqlite3.sqlite_version, "n", N)
for m, (mode, cp) in enumerate(MODES):
    ri = statistics.median(a / b for a, b in zip(ins[m], ins[0]))
    rd = statistics.median(a / b for a, b in zip(dele[m], dele[0]))
    name = mode + (" + checkpoint" if cp else "")
    print(f"{name:18} store {med(ins[m]):7.0f} us (x{ri:4.2f})   erase {med(dele[m]):7.0f} us (x{rd:4.2f})")
