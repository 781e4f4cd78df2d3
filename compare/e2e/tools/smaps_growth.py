#!/usr/bin/env python3
"""smaps_growth.py BEFORE AFTER N: per mapping, growth of Rss and Anonymous (bytes per client)."""
import sys, re
def load(p):
    maps = {}; cur = None
    for line in open(p):
        if re.match(r'^[0-9a-f]+-[0-9a-f]+ ', line):
            parts = line.split()
            name = parts[5] if len(parts) > 5 else '[anon]'
            cur = (parts[0].split('-')[0], name); maps[cur] = {}
        elif cur and ':' in line:
            k, v = line.split(':', 1); v = v.split()
            if v and v[0].isdigit(): maps[cur][k] = int(v[0])
    return maps
b, a, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
rows = []
for key in set(a) | set(b):
    ra, rb = a.get(key, {}), b.get(key, {})
    d = ra.get('Rss', 0) - rb.get('Rss', 0); an = ra.get('Anonymous', 0) - rb.get('Anonymous', 0)
    if d or an: rows.append((d, an, key, ra.get('Size', rb.get('Size', 0))))
rows.sort(reverse=True)
print(f"total rss {sum(r[0] for r in rows)*1024/n:.0f} B/client, anon {sum(r[1] for r in rows)*1024/n:.0f}")
for d, an, key, size in rows[:25]:
    print(f"{d*1024/n:8.1f} rss {an*1024/n:8.1f} anon  size {size:8d} KiB  {key[0]} {key[1]}")
