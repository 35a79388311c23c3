"""Recomputes aud-lift's figures from its counts, apart from its C code.

Usage: lift_check.py REPORT.json  -- exits 1 naming the first figure off.
Wilson score interval; Newcomb's hybrid score interval (method 10) for the
difference; the Katz log interval for the ratio; the pooled two-sided
z-test. Compared to 1e-12 relative.
"""
import json
import math
import sys

Z = 1.959963984540054


def wilson(x, n):
    if n == 0:
        return None, None
    c = (x + Z * Z / 2) / (n + Z * Z)
    h = Z * math.sqrt(x * (n - x) / n + Z * Z / 4) / (n + Z * Z)
    return max(0.0, c - h), min(1.0, c + h)


def expected(t, c):
    x1, n1, x2, n2 = t["converted"], t["members"], c["converted"], c["members"]
    out = {"difference": None, "difference_ci95": [None, None],
           "relative_lift": None, "relative_lift_ci95": [None, None],
           "p_value": None}
    if n1 == 0 or n2 == 0:
        return out
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    out["difference"] = d
    out["difference_ci95"] = [d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
                              d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)]
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se > 0:
        out["p_value"] = math.erfc(abs(d) / se / math.sqrt(2))
    if x1 > 0 and x2 > 0:
        r = p1 / p2
        s = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
        out["relative_lift"] = r - 1
        out["relative_lift_ci95"] = [math.exp(math.log(r) - Z * s) - 1,
                                     math.exp(math.log(r) + Z * s) - 1]
    return out


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def check(where, e):
    want = expected(e["target"], e["control"])
    for g in ("target", "control"):
        lo, hi = wilson(e[g]["converted"], e[g]["members"])
        if not (close(lo, e[g]["rate_ci95"][0]) and close(hi, e[g]["rate_ci95"][1])):
            sys.exit(f"{where} {g} rate_ci95 {e[g]['rate_ci95']} != {[lo, hi]}")
    for k, v in want.items():
        got = e[k]
        if isinstance(v, list):
            if not all(close(a, b) for a, b in zip(v, got)):
                sys.exit(f"{where} {k}: {got} != {v}")
        elif not close(v, got):
            sys.exit(f"{where} {k}: {got} != {v}")


report = json.load(open(sys.argv[1]))
check("overall", report["overall"])
for p in report["products"]:
    check(f"product {p['product_id']}", p)
print("ok")
