#!/usr/bin/env python3
"""Writes a CSV of random awkward ids for the round-trip property test:
blanks at either end, quotes, commas, line breaks, digits with leading
zeros, 20-digit numbers, negative numbers, plain integers.

Usage: roundtrip-ids.py SEED ROWS > ids.csv
"""
import csv
import random
import sys

seed, rows = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)


def awkward_id():
    kind = rng.randrange(8)
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6)))
    if kind == 0:
        return rng.choice([" ", "\t", "  "]) + digits + rng.choice(["", " ", "\t"])
    if kind == 1:
        return digits + rng.choice([" ", "\t"])
    if kind == 2:
        return "0" + digits
    if kind == 3:
        return str(rng.randrange(10**19, 10**20))
    if kind == 4:
        return "-" + str(rng.randrange(1, 10**6))
    if kind == 5:
        return str(rng.randrange(10**6))
    alphabet = 'ab ,"\n\r\t;x0'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))).strip("\r\n") or "z"


# Every field quoted, so that the blanks at its ends are kept (aud-prepare(1)).
w = csv.writer(sys.stdout, lineterminator="\n", quoting=csv.QUOTE_ALL)
w.writerow(["customer_id", "product_id", "event", "event_date"])
for i in range(rows):
    w.writerow([awkward_id(), awkward_id(), rng.choice(["viewed", "purchased", "cart"]),
                "2023-01-%02dT%02d:%02d:00Z" % (1 + i % 28, i % 24, i % 60)])
