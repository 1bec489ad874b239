#!/usr/bin/env python3
"""Convert CLINC150 (data_full.json + domains.json) into the JSONL the project ships.

One object per line: {"text", "intent", "domain", "split"}, split in train|val|test.
Only the 150 in-scope intents are kept; the out-of-scope ("oos") items are dropped.
Python 3 standard library only; the output is deterministic (source order kept).

`kaizen import-intents DIR --output FILE` (docs/bring-your-own-data.md) writes the
same bytes without Python, checks the input more closely (errors name the split
and index) and converts any data set in this layout, not only CLINC150.

Usage:
  scripts/convert_clinc150.py [--source DIR] [--output FILE]
Defaults: --source ../shared/data/clinc150 (relative to the repository root),
          --output manifests/data/clinc150.jsonl
"""

import argparse
import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(REPO_ROOT, "..", "shared", "data", "clinc150")
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "manifests", "data", "clinc150.jsonl")
SPLITS = ("train", "val", "test")  # the in-scope splits; oos_* are skipped


def intent_to_domain(domains):
    mapping = {}
    for domain, intents in domains.items():
        for intent in intents:
            if intent in mapping:
                sys.exit(f"intent {intent!r} is listed in two domains")
            mapping[intent] = domain
    return mapping


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE,
                        help="folder holding data_full.json and domains.json")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="JSONL file to write")
    args = parser.parse_args()

    with open(os.path.join(args.source, "data_full.json"), encoding="utf-8") as f:
        data = json.load(f)
    with open(os.path.join(args.source, "domains.json"), encoding="utf-8") as f:
        domain_of = intent_to_domain(json.load(f))

    counts = {}
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for split in SPLITS:
            for text, intent in data[split]:
                if intent not in domain_of:
                    sys.exit(f"{split}: intent {intent!r} has no domain in domains.json")
                row = {"text": text, "intent": intent,
                       "domain": domain_of[intent], "split": split}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts[split] = counts.get(split, 0) + 1
    os.replace(tmp, args.output)  # never leave a half-written file behind

    intents = len(domain_of)
    total = sum(counts.values())
    summary = ", ".join(f"{s} {counts.get(s, 0)}" for s in SPLITS)
    print(f"wrote {total} examples ({summary}; {intents} intents) to {args.output}")


if __name__ == "__main__":
    main()
