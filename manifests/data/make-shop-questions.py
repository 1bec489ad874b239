#!/usr/bin/env python3
"""Writes shop-questions.jsonl: questions to a shop's assistant, for
manifests/llm-tools.yaml. Domain "faq": four questions customers ask, each
in several wordings with one fixed answer. Domain "arithmetic": "what is A
plus B" and the like, with the exact answer (an integer: divisions are
exact). No two arithmetic questions have the same set of words, so a
nearest-neighbour teacher that knows them answers each one right.
Deterministic: run it again and the file is the same."""
import json
import random

FAQ = {
    "We are open 9 am to 6 pm, Monday to Saturday.": [
        "when do you open", "what are your opening hours", "are you open on sunday",
        "what time do you open in the morning", "until when are you open today", "opening hours please",
        "are you open on saturday", "what are the shop hours",
    ],
    "Return any item within 30 days from Orders > Return.": [
        "how do i return an item", "can i send back a product", "what is your return policy",
        "i want to return my order", "how many days do i have to return an item", "return a broken product",
        "can i send an item back", "where do i start a return",
    ],
    "Shipping is free over 50 dollars, else 5 dollars.": [
        "how much is shipping", "what does delivery cost", "is shipping free",
        "what are the shipping costs", "do you charge for delivery", "shipping price please",
        "how much does delivery cost", "when is shipping free",
    ],
    "Call 555 0100 or write to help@shop.example.": [
        "how can i reach you", "what is your phone number", "how do i contact support",
        "can i call support", "contact details please", "what is the support email",
        "how do i reach customer support", "phone number for support",
    ],
}

OPS = [("plus", lambda a, b: a + b), ("minus", lambda a, b: a - b), ("times", lambda a, b: a * b),
       ("divided by", None)]


def arithmetic(rng, count):
    seen, rows = set(), []
    while len(rows) < count:
        word, fn = rng.choice(OPS)
        if fn is None:  # exact divisions only
            b = rng.randint(10, 40)
            a = b * rng.randint(10, 40)
            answer = a // b
        else:
            a, b = rng.randint(10, 99), rng.randint(10, 99)
            answer = fn(a, b)
        key = frozenset([str(a), str(b)] + word.split())
        if key in seen:
            continue
        seen.add(key)
        rows.append((f"what is {a} {word} {b}", str(answer)))
    return rows


def main():
    rng = random.Random(19)
    out = []
    for answer, questions in FAQ.items():
        for i, q in enumerate(questions):
            split = "train" if i < 3 else ("val" if i % 2 == 1 else "test")
            out.append({"text": q, "label": answer, "domain": "faq", "split": split})
    for i, (q, a) in enumerate(arithmetic(rng, 400)):
        split = "train" if i % 5 == 0 else ("val" if i % 2 == 1 else "test")
        out.append({"text": q, "label": a, "domain": "arithmetic", "split": split})
    with open("shop-questions.jsonl", "w") as f:
        for row in out:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
