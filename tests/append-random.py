#!/usr/bin/env python3
"""A seeded random export cut in two, for aud-prepare --append against
preparing everything at once: old.csv, new.csv and both.csv in DIR, and
the bot threshold to use printed. Most cuts are the usual next day (new
rows later than the old); the rest interleave, repeat rows across the cut,
name products late, and bring new events.

Usage: append-random.py SEED DIR
"""
import datetime
import random
import sys

seed, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(seed)
n = rnd.randint(5, 120)
ncust, nprod = rnd.randint(2, 15), rnd.randint(2, 12)
events = ["view", "cart", "purchased"] + (["wishlist"] if rnd.random() < 0.3 else [])
start = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
rows = []
for i in range(n):
    product = "p%d" % rnd.randint(1, nprod)
    rows.append(("c%d" % rnd.randint(1, ncust), product,
                 rnd.choice(events[:3] if i < 0.8 * n else events),
                 start + datetime.timedelta(days=rnd.randint(0, 5), hours=rnd.randint(0, 3)),
                 rnd.choice(["", "", "Name " + product, "Alt " + product])))
    if rnd.random() < 0.1:
        rows.append(rows[rnd.randrange(len(rows))])
cut = rnd.randint(1, len(rows) - 1)
old, new = rows[:cut], rows[cut:]
if rnd.random() < 0.6:
    old.sort(key=lambda r: r[3])
    new = [r[:3] + (r[3] + datetime.timedelta(days=7),) + r[4:] for r in new]


def write(name, part):
    with open("%s/%s" % (out, name), "w") as f:
        f.write("customer_id,product_id,event,event_date,product_name\n")
        for c, p, e, t, label in part:
            f.write("%s,%s,%s,%s,%s\n" % (c, p, e, t.strftime("%Y-%m-%dT%H:%M:%SZ"), label))


write("old.csv", old)
write("new.csv", new)
write("both.csv", old + new)
print(rnd.choice([2, 3, 4, 1000]))
