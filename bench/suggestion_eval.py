"""Precision and recall of the CIVIC domain suggestion on hand-labelled records.

    .venv/bin/python -m bench.suggestion_eval                  # newest held-out set (reported)
    .venv/bin/python -m bench.suggestion_eval --split tuning   # every set the rules were tuned on
    .venv/bin/python -m bench.suggestion_eval --errors       # list every miss and false alarm

The labels are tests/data/suggestion_labels.json (written by hand, one record at a time).
Each labelled record is read as it appears in the fixture Open Referral UK export
(tests/data/realfeeds/oruk1_list_export.json: HTML, entities, taxonomy terms, contact and
venue lines; oruk1_labels_map.json says which service is which record), through the
same text cleaning the importers will use, when the fixture is there; otherwise from the
label file's own plain text.

Figures: per domain, precision = right suggestions / all suggestions of that domain and
recall = right suggestions / all labelled; "overall" pools every (record, domain) pair
(micro-average), so a domain suggested for a not-social record counts against precision.
Not-social detection and kind (on records labelled social and suggested social) are
reported alongside.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from directory.rules.domain_suggestion import DOMAIN_NAMES, ListingText, suggest

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "suggestion_labels.json"
EXPORT = ROOT / "tests" / "data" / "realfeeds" / "oruk1_list_export.json"
TARGET_PRECISION = 0.8
TARGET_RECALL = 0.7
# The newest held-out split: written and labelled after the rules were frozen, run once.
LATEST_HELD_OUT = "held_out_4"
# Splits whose records have been read while changing the rules (rules v5 were tuned on all
# four; held_out, held_out_2 and held_out_3 were each clean once, see docs/suggestions.md).
TUNING_SPLITS = ("tune", "held_out", "held_out_2", "held_out_3")
SPLITS = ("held_out_4", "held_out_3", "held_out_2", "held_out", "tune", "tuning", "all")


@dataclass
class Counts:
    """True positives, false positives and false negatives for one label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of suggestions that were right (1.0 when nothing was suggested)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labels that were suggested (1.0 when nothing was labelled)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def support(self) -> int:
        """How many records carry the label."""
        return self.tp + self.fn


@dataclass
class Report:
    """Everything the evaluation measured on one split."""

    split: str
    records: int
    domains: dict[str, Counts]
    overall: Counts
    not_social: Counts
    kind_right: int
    kind_total: int
    errors: list[str] = field(default_factory=list)

    @property
    def meets_targets(self) -> bool:
        """Overall precision ≥ 0.8 and recall ≥ 0.7."""
        return self.overall.precision >= TARGET_PRECISION and self.overall.recall >= TARGET_RECALL

    def as_dict(self) -> dict[str, Any]:
        """Figures only, for tests and for saving."""
        return {
            "split": self.split,
            "records": self.records,
            "overall": {"precision": self.overall.precision, "recall": self.overall.recall},
            "domains": {
                code: {"precision": c.precision, "recall": c.recall, "support": c.support}
                for code, c in self.domains.items()
            },
            "not_social": {
                "precision": self.not_social.precision,
                "recall": self.not_social.recall,
                "support": self.not_social.support,
            },
            "kind_accuracy": self.kind_right / self.kind_total if self.kind_total else None,
            "meets_targets": self.meets_targets,
        }


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    """The labelled records."""
    return json.loads(path.read_text("utf-8"))["records"]


def fixture_texts(path: Path = EXPORT) -> dict[str, ListingText]:
    """Labelled id -> the text of its first copy in the fixture export (if it is built)."""
    map_path = path.with_name("oruk1_labels_map.json")
    if not path.exists() or not map_path.exists():
        return {}
    label_map = json.loads(map_path.read_text("utf-8"))
    texts: dict[str, ListingText] = {}
    for service in json.loads(path.read_text("utf-8"))["content"]:
        entry = label_map.get(service.get("id"))
        if not entry or entry["copy"] != 0:
            continue
        terms = [
            (t.get("taxonomy") or {}).get("name", "")
            for t in service.get("service_taxonomys") or []
        ]
        texts[entry["label_id"]] = ListingText.of(
            service.get("name"), service.get("description"), terms
        )
    return texts


def _in_split(record: dict[str, Any], split: str) -> bool:
    if split == "all":
        return True
    if split == "tuning":
        return record["split"] in TUNING_SPLITS
    return record["split"] == split


def evaluate(
    split: str = LATEST_HELD_OUT, *, labels_path: Path = LABELS, export_path: Path = EXPORT
) -> Report:
    """Run :func:`suggest` on every labelled record of ``split`` and count.

    ``tuning`` is every split the rules have been tuned on; ``all`` is every record.
    """
    records = [r for r in load_labels(labels_path) if _in_split(r, split)]
    texts = fixture_texts(export_path)
    domains = {code: Counts() for code in DOMAIN_NAMES}
    overall = Counts()
    not_social = Counts()
    kind_right = kind_total = 0
    errors = []
    for record in records:
        listing = texts.get(record["id"]) or ListingText.of(
            record["name"], record["description"], record["keywords"]
        )
        result = suggest(listing)
        truth = set(record["domains"])
        got = set(result.domain_codes)
        for code, counts in domains.items():
            _tally(code in got, code in truth, counts, overall)
        _tally(result.not_social, record["not_social"], not_social)
        if not record["not_social"] and not result.not_social and record["kind"]:
            kind_total += 1
            kind_right += result.kind is not None and result.kind.code == record["kind"]
        if got != truth or (result.kind and record["kind"] and result.kind.code != record["kind"]):
            missing = sorted(truth - got)
            extra = sorted(got - truth)
            errors.append(
                f"{record['id']} {record['name']}: missing {missing} extra {extra}"
                f" kind {result.kind.code if result.kind else None}/{record['kind']}"
                f" | {'; '.join(d.reason for d in result.domains) or result.reason}"
            )
    return Report(split, len(records), domains, overall, not_social, kind_right, kind_total, errors)


def _tally(predicted: bool, actual: bool, *tallies: Counts) -> None:
    """Count one answer in each of ``tallies``: a true positive, a false positive or a miss."""
    for tally in tallies:
        if predicted and actual:
            tally.tp += 1
        elif predicted:
            tally.fp += 1
        elif actual:
            tally.fn += 1


def markdown_table(report: Report) -> str:
    """The per-domain table as Markdown."""
    lines = [
        "| domain | labelled | precision | recall |",
        "|---|---:|---:|---:|",
    ]
    for code, c in report.domains.items():
        lines.append(f"| {DOMAIN_NAMES[code]} | {c.support} | {c.precision:.2f} | {c.recall:.2f} |")
    o = report.overall
    lines.append(
        f"| **overall (micro)** | {o.support} | **{o.precision:.2f}** | **{o.recall:.2f}** |"
    )
    n = report.not_social
    lines.append(f"| not social (records) | {n.support} | {n.precision:.2f} | {n.recall:.2f} |")
    if report.kind_total:
        lines.append(
            f"| kind accuracy (social records) | {report.kind_total} | "
            f"{report.kind_right / report.kind_total:.2f} | |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the figures for one split (exit 0 whether or not targets are met)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default=LATEST_HELD_OUT)
    parser.add_argument("--errors", action="store_true", help="list each wrong record")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    report = evaluate(args.split)
    if args.json:
        print(json.dumps(report.as_dict(), indent=1))
    else:
        print(f"{report.records} records, split {report.split}\n")
        print(markdown_table(report))
        verdict = "meets" if report.meets_targets else "does NOT meet"
        print(
            f"\nOverall {verdict} the targets (precision ≥ {TARGET_PRECISION}, "
            f"recall ≥ {TARGET_RECALL})."
        )
    if args.errors:
        print("\n".join(["", *report.errors]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
