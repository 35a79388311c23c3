#!/usr/bin/python3
"""An independent computation of aud-explore's figures with pandas.

Usage: aud-cat INTERACTIONS | analysis/verify_explore.py STATISTICS.json

Reads the same rows (aud-cat's JSON lines) on stdin, recomputes every figure
with pandas by the definitions in aud-explore(1), and compares them with the
JSON aud-explore wrote. Prints each mismatch; exits 1 if there is any.
"""
import json
import sys

import pandas as pd


def main():
    got = json.load(open(sys.argv[1]))
    df = pd.read_json(sys.stdin, lines=True, dtype={"customer_id": str, "product_id": str})
    df["time"] = pd.to_datetime(df["time"], format="ISO8601" if pd.__version__ >= "2" else None, utc=True)
    users, products, rows = df.customer_id.nunique(), df.product_id.nunique(), len(df)
    split = df.time.quantile(0.8)
    early, late = df[df.time < split], df[df.time >= split]
    eu, lu = set(early.customer_id), set(late.customer_id)
    ep, lp = set(early.product_id), set(late.product_id)
    per_user = df.groupby("customer_id").size()
    counts = df.event.value_counts()
    day = df.time.dt.floor("D")
    first_day = df.groupby("customer_id").time.min().dt.floor("D")
    want = {
        "total_interactions": rows,
        "unique_users": users,
        "unique_products": products,
        "sparsity": round(1 - rows / (users * products), 6),
        "user_retention.early_period_users": len(eu),
        "user_retention.late_period_users": len(lu),
        "user_retention.returning_users": len(eu & lu),
        "user_retention.retention_rate_pct": round(len(eu & lu) / len(eu) * 100, 2),
        "user_behavior.median_interactions_per_user": int(per_user.median()),
        "user_behavior.mean_interactions_per_user": round(per_user.mean(), 2),
        "user_behavior.one_time_users_pct": round((per_user == 1).mean() * 100, 2),
        "user_behavior.low_activity_users_pct": round(((per_user >= 2) & (per_user <= 5)).mean() * 100, 2),
        "user_behavior.power_users_pct": round((per_user > 5).mean() * 100, 2),
        "product_churn.early_period_products": len(ep),
        "product_churn.late_period_products": len(lp),
        "product_churn.new_products_in_test": len(lp - ep),
        "product_churn.new_products_pct": round(len(lp - ep) / len(lp) * 100, 2),
    }
    for event, n in counts.items():
        want["event_distribution.counts." + event] = int(n)
        want["event_distribution.percentages." + event] = round(n / rows * 100, 2)
    daily = pd.DataFrame({
        "interactions": df.groupby(day).size(),
        "active_users": df.groupby(day).customer_id.nunique(),
        "new_users": first_day.value_counts(),
    }).fillna(0).astype(int)
    for d in got["daily_activity"]:
        row = daily.loc[pd.Timestamp(d["date"], tz="UTC")]
        for key in ("interactions", "active_users", "new_users"):
            want["daily_activity.%s.%s" % (d["date"], key)] = int(row[key])
            got.setdefault("_daily", {})["daily_activity.%s.%s" % (d["date"], key)] = d[key]
    if len(got["daily_activity"]) != len(daily):
        print("daily_activity: %d days, pandas %d" % (len(got["daily_activity"]), len(daily)))
        return 1
    hist = per_user.value_counts().sort_index()
    if [[h["interactions"], h["users"]] for h in got["interactions_per_user"]] != \
            [[int(k), int(v)] for k, v in hist.items()]:
        print("interactions_per_user differs")
        return 1

    bad = 0
    for key, value in want.items():
        have = got.get("_daily", {}).get(key) if key.startswith("daily_activity.") else got
        if not key.startswith("daily_activity."):
            for part in key.split("."):
                have = have[part]
        if have != value:
            print("%s: aud-explore %r, pandas %r" % (key, have, value))
            bad += 1
    print("%d figures compared, %d differ" % (len(want), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
