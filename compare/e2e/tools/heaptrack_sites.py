#!/usr/bin/env python3
"""heaptrack_sites.py FOLDED NCLIENTS TOP: sums heaptrack 'leaked' folded stacks by the innermost frame that
names a tgwire crate (else tokio/std frame), prints bytes per client, largest first."""
import sys, re, collections
path, n, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
by = collections.Counter(); total = 0
for line in open(path, errors="replace"):
    line = line.rstrip()
    if not line: continue
    stack, _, cost = line.rpartition(" ")
    try: cost = int(cost)
    except ValueError: continue
    frames = stack.split(";")
    key = None
    for f in reversed(frames):
        if "tgwire" in f and "alloc::" not in f.split("tgwire")[0][-20:]:
            key = f; break
    if key is None:
        key = frames[-1] if frames else "?"
    key = re.sub(r"::h[0-9a-f]{16}$", "", key)[:160]
    by[key] += cost; total += cost
print(f"total {total} B = {total/n:.1f} B/client")
for k, v in by.most_common(top):
    print(f"{v/n:9.1f}  {k}")
