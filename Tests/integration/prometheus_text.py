"""A strict reader of the Prometheus text exposition format (version 0.0.4),
enough to check that /metrics parses and to read sample values.

Every sample line must be `name{label="value",...} number`, every family must
be declared by a `# TYPE` line before its samples, and histogram/counter
naming must follow the conventions (`_bucket`/`_sum`/`_count`, `_total`).
"""

from __future__ import annotations

import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{(.*)\}})? (\S+)(?: (-?\d+))?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Metrics:
    def __init__(self, samples: dict, types: dict):
        self.samples = samples  # {(name, frozenset(labels)): value}
        self.types = types      # {family: type}

    def get(self, name: str, **labels) -> float:
        """The value of one sample; 0 when absent (counters and gauges not yet touched)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def sum(self, name: str, **labels) -> float:
        """The sum over every sample of `name` whose labels include `labels`."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and want <= set(ls))

    def labels(self, name: str) -> list[dict]:
        return [dict(ls) for (n, ls) in self.samples if n == name]


def parse(text: str) -> Metrics:
    samples: dict = {}
    types: dict = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                assert re.fullmatch(NAME, parts[2]), f"line {number}: bad family name: {line!r}"
                assert parts[3] in TYPES, f"line {number}: bad type: {line!r}"
                assert parts[2] not in types, f"line {number}: family declared twice: {line!r}"
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        assert m, f"line {number} is not a sample: {line!r}"
        name, label_text, value = m.group(1), m.group(2) or "", m.group(3)
        labels = {}
        rest = label_text
        while rest.strip():
            lm = LABEL.match(rest)
            assert lm, f"line {number}: bad labels {label_text!r}"
            labels[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        family = _family(name, types)
        assert family is not None, f"line {number}: sample {name} before its # TYPE line"
        parsed = float(value)  # accepts +Inf, -Inf, NaN as Prometheus does
        assert not math.isnan(parsed) or value == "NaN", f"line {number}: bad value {value!r}"
        key = (name, frozenset(labels.items()))
        assert key not in samples, f"line {number}: duplicate sample {line!r}"
        samples[key] = parsed
    for family, kind in types.items():
        if kind == "counter":
            assert family.endswith("_total"), f"counter {family} should end in _total"
    return Metrics(samples, types)


def _family(name: str, types: dict):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return name[: -len(suffix)]
    return None


def scrape(relay, token=None) -> Metrics:
    """GET /metrics from a running relay (with the bearer token when one is configured), parsed."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    r = relay.get("/metrics", headers=headers)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return parse(r.body.decode())
