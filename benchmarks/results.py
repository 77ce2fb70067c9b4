"""Figures and the results file they are merged into, keyed by name, so runs of different benchmarks add up."""

import json
from dataclasses import dataclass
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    # The goal for this figure, or None when it is only reported. Rates are minimums, latencies maximums.
    target: float | None = None
    higher_is_better: bool = True

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        met = self.value >= self.target if self.higher_is_better else self.value <= self.target
        sign = "≥" if self.higher_is_better else "≤"
        return f"target {sign} {self.target:g}: {'met' if met else 'MISSED'}"


def merge_results(figures: list[Figure], path: Path = RESULTS_FILE) -> dict:
    """Read the file, replace the figures named here, keep every other one, write it back."""
    try:
        results = json.loads(path.read_text())
    except FileNotFoundError:
        results = {}
    for figure in figures:
        results[figure.name] = {"value": figure.value, "unit": figure.unit, "target": figure.target}
    path.write_text(json.dumps(dict(sorted(results.items())), indent=2, ensure_ascii=False) + "\n")
    return results
