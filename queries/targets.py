"""Targets for the headline rates: the defaults, and overrides parsed and checked. The one place to set them.

Defaults are the figures coding-quality practice quotes: 95% code accuracy is the usual target, a denial
rate under 5% is best practice (national initial denial rates run about 10-15% of claims), and more than
half of appealed denials are overturned. Override any of them, as a proportion
between 0 and 1 (0.95, not 95), in `.streamlit/secrets.toml`:

    [targets]
    code_accuracy = 0.97

or with an environment variable, which wins: CODEAUDIT_TARGET_CODE_ACCURACY=0.97. The dashboard reads
the secrets (views/targets.py); the rules are here. Whether higher is better comes from
queries.metrics.RATES, so a target cannot contradict the metric. Never imports streamlit.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from config import settings
from config.settings import ConfigurationError
from queries.metrics import LABELS, RATES

DEFAULTS: dict[str, float] = {
    "code_accuracy": 0.95,
    "claim_accuracy": 0.90,
    "drg_accuracy": 0.95,
    "unspecified_rate": 0.15,
    "invalid_code_rate": 0.01,
    "denial_rate": 0.05,
    "coding_denial_share": 0.30,
    "appeal_overturn_rate": 0.50,
}


@dataclass(frozen=True)
class Target:
    metric: str
    value: float
    higher_is_better: bool

    @property
    def label(self) -> str:
        return LABELS[self.metric]

    def describe(self) -> str:
        """'≥ 95%' or '≤ 15%'."""
        return f"{'≥' if self.higher_is_better else '≤'} {self.value * 100:g}%"

    def met(self, rate: float | None) -> bool | None:
        """None when there is no rate (nothing counted): a blank is neither a hit nor a miss."""
        if rate is None or math.isnan(rate):
            return None
        return rate >= self.value if self.higher_is_better else rate <= self.value


def _parse(metric: str, text: object, source: str) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not 0 <= value <= 1:
        raise ConfigurationError(
            f"The target for {metric} in {source} is {text!r}; give a proportion between 0 and 1 (0.95, not 95)."
        )
    return value


def load_targets(secrets: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Target]:
    """Targets by metric: defaults, then `secrets` (the [targets] table), then the CODEAUDIT_TARGET_*
    variables (read by config/settings.py; `environ` stands in for the environment in tests)."""
    table = dict(secrets or {})
    overrides = settings.load(environ).target_overrides
    for names, where in ((table, "[targets] in secrets.toml"), (overrides, "CODEAUDIT_TARGET_* variables")):
        unknown = sorted(set(names) - set(DEFAULTS))
        if unknown:
            raise ConfigurationError(f"{where} name unknown metrics ({', '.join(unknown)}); use: {', '.join(DEFAULTS)}.")
    targets = {}
    for metric, default in DEFAULTS.items():
        value = default
        if metric in table:
            value = _parse(metric, table[metric], "secrets.toml [targets]")
        if metric in overrides:
            value = overrides[metric][0]
        targets[metric] = Target(metric, value, RATES[metric].higher_is_better)
    return targets
