"""Targets for the headline rates: defaults, overrides from the secrets then the environment, and refusals
that say what to write instead. Each rate's direction and name come from queries.metrics.RATES."""
from __future__ import annotations

import pytest

from config.settings import ConfigurationError
from queries.metrics import LABELS, RATES
from queries.targets import DEFAULTS, load_targets


def test_targets_default_and_can_be_overridden_by_secrets_then_environment():
    targets = load_targets({}, {})
    assert {m: t.value for m, t in targets.items()} == DEFAULTS
    assert targets["code_accuracy"].describe() == "≥ 95%" and targets["denial_rate"].describe() == "≤ 5%"
    assert targets["unspecified_rate"].met(0.2) is False and targets["code_accuracy"].met(float("nan")) is None
    assert targets["appeal_overturn_rate"].label == "Appeal overturn rate"
    tuned = load_targets({"code_accuracy": 0.97}, {"CODEAUDIT_TARGET_CODE_ACCURACY": "0.98"})
    assert tuned["code_accuracy"].value == 0.98
    with pytest.raises(ConfigurationError, match="0.95, not 95"):
        load_targets({"code_accuracy": 95}, {})
    with pytest.raises(ConfigurationError, match="unknown metrics"):
        load_targets({"coder_happiness": 0.5}, {})


def test_every_target_follows_its_rates_direction_and_every_rate_has_a_name():
    assert all(t.higher_is_better == RATES[m].higher_is_better for m, t in load_targets({}, {}).items())
    assert set(RATES) <= set(LABELS) and all(LABELS[name] == rate.label for name, rate in RATES.items())
    assert (RATES["denial_rate"].numerator, RATES["denial_rate"].denominator) == ("denied_claims", "claims")
