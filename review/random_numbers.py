"""Seeded random numbers as OIG's RAT-STATS draws them ("single stage random numbers").

RAT-STATS draws with a Wichmann-Hill generator (Applied Statistics algorithm AS 183) whose three seeds
are made by emulating Visual Basic 6's `Rnd`/`Randomize`. This module follows a public emulation of
RAT-STATS's detailed specification step by step (docs/SAMPLING.md gives the steps and a worked
example); it reproduces that emulation, not RAT-STATS itself, until someone compares it with a
RAT-STATS run. Everything is integer arithmetic on 24-bit states except the final AS 183 sum, which is
IEEE-754 double arithmetic in a fixed order, as in VB6, so a draw is the same on every machine.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

GENERATOR = "RAT-STATS single-stage emulation: VB6 Rnd/Randomize seeding, Wichmann-Hill AS 183"
GENERATOR_VERSION = "1"
# Said wherever a sample is reported (docs/SAMPLING.md), until someone compares a draw with a RAT-STATS run.
GENERATOR_CAVEAT = ("The random numbers reproduce a public emulation of RAT-STATS's single-stage random numbers "
                    "(VB6 Rnd/Randomize seeding, Wichmann-Hill AS 183), not RAT-STATS itself: no draw has yet been "
                    "compared with a run of RAT-STATS.")

# The most numbers (with spares) one draw gives: an audit sample is hundreds, and drawing without repeats
# near the whole range costs about range * ln(range) steps, so a draw stays within seconds and bounded memory.
MAX_NUMBERS = 100_000
_STATE_MODULUS = 1 << 24                       # VB6 Rnd keeps a 24-bit state
_RND_MULTIPLIER, _RND_INCREMENT = 1_140_671_485, 12_820_163
_WH_MODULI = (30269, 30307, 30323)
# AS 183 by Schrage's method: x' = a (x mod q) - r (x div q), with m = a q + r, for each generator.
_WH_STEPS = ((171, 177, 2), (172, 176, 35), (170, 178, 63))


class RandomNumberError(ValueError):
    """A request the generator cannot answer; the message says which value to change."""


def _rnd(state: int) -> int:
    """VB6 `Rnd()`: one step of the 24-bit linear congruential generator."""
    return (state * _RND_MULTIPLIER + _RND_INCREMENT) % _STATE_MODULUS


def _rnd_minus_one() -> int:
    """VB6 `Rnd(-1)`: the state made from the IEEE-754 single-precision bits of -1.0."""
    bits = struct.unpack("<I", struct.pack("<f", -1.0))[0]
    return (bits + (bits >> 24)) % _STATE_MODULUS


def _randomize(state: int, seed: float) -> int:
    """VB6 `Randomize seed`: fold the high 32 bits of the seed's IEEE-754 double into bits 8-23."""
    high = struct.unpack("<Q", struct.pack("<d", float(seed)))[0] >> 32
    folded = (high >> 16) ^ (high & 0xFFFF)
    return ((state & 0xFF0000FF) | (folded << 8)) % _STATE_MODULUS


def wichmann_hill_seeds(seed: float) -> tuple[int, int, int]:
    """The three AS 183 seeds RAT-STATS derives from `seed`: Rnd(-1), Rnd(), Randomize(seed), then three
    Rnd() steps, each giving floor(m * state / 2^24) + 1 for its modulus m."""
    if not math.isfinite(seed):
        raise RandomNumberError(f"The seed must be a finite number; {seed!r} is not.")
    state = _randomize(_rnd(_rnd_minus_one()), seed)
    seeds = []
    for modulus in _WH_MODULI:
        state = _rnd(state)
        seeds.append(modulus * state // _STATE_MODULUS + 1)
    return seeds[0], seeds[1], seeds[2]


class WichmannHill:
    """AS 183: three small multiplicative generators whose fractions are summed modulo 1."""

    def __init__(self, seeds: tuple[int, int, int]) -> None:
        self.state = list(seeds)

    def uniform(self) -> float:
        """The next number in [0, 1)."""
        for i, ((a, q, r), modulus) in enumerate(zip(_WH_STEPS, _WH_MODULI, strict=True)):
            x = a * (self.state[i] % q) - r * (self.state[i] // q)
            self.state[i] = x + modulus if x <= 0 else x
        total = self.state[0] / 30269.0 + self.state[1] / 30307.0 + self.state[2] / 30323.0
        return total - math.floor(total)


@dataclass(frozen=True)
class RandomNumbers:
    """A draw: the numbers in the order they were selected, then the spares (drawn after them, in order)."""

    seed: float
    low: int
    high: int
    selection_order: tuple[int, ...]
    spares: tuple[int, ...]
    generator: str = GENERATOR
    generator_version: str = GENERATOR_VERSION

    @property
    def sorted(self) -> tuple[int, ...]:
        return tuple(sorted(self.selection_order))


def _check(count: int, low: int, high: int, spares: int) -> None:
    if low > high:
        raise RandomNumberError(f"The low number {low} is above the high number {high}.")
    if count < 0 or spares < 0:
        raise RandomNumberError("The quantity of numbers and of spares must be zero or more.")
    if count + spares > MAX_NUMBERS:
        raise RandomNumberError(f"One draw gives at most {MAX_NUMBERS:,} numbers with its spares; ask for fewer.")
    span = high - low + 1
    if count + spares > span:
        raise RandomNumberError(
            f"{count} numbers and {spares} spares cannot be drawn without repeats from {low} to {high} "
            f"({span} numbers); ask for fewer."
        )


def _draw(generator: WichmannHill, seed: float, count: int, low: int, high: int, spares: int) -> RandomNumbers:
    span = high - low + 1
    drawn: list[int] = []
    seen: set[int] = set()
    while len(drawn) < count + spares:
        number = math.floor(generator.uniform() * span) + low
        if number not in seen:
            seen.add(number)
            drawn.append(number)
    return RandomNumbers(seed, low, high, tuple(drawn[:count]), tuple(drawn[count:]))


def random_numbers(seed: float, count: int, low: int, high: int, spares: int = 0) -> RandomNumbers:
    """`count` distinct whole numbers from low to high inclusive, then `spares` more; a number already
    drawn is skipped and the next one drawn instead (sampling without replacement)."""
    _check(count, low, high, spares)
    return _draw(WichmannHill(wichmann_hill_seeds(seed)), seed, count, low, high, spares)


def stratified_random_numbers(seed: float, strata: Sequence[tuple[int, int, int]]) -> list[RandomNumbers]:
    """One draw per stratum, each (count, spares, stratum size) numbering its stratum from 1: the generator
    is seeded once and continues from one stratum to the next, in the order given, so the strata get
    independent numbers from one seed. A stratum asking for nothing draws nothing. The first stratum's
    numbers are those `random_numbers` gives for the same seed."""
    for count, spares, size in strata:
        if count + spares:
            _check(count, 1, size, spares)
    generator = WichmannHill(wichmann_hill_seeds(seed))
    return [_draw(generator, seed, count, 1, size, spares) if count + spares else RandomNumbers(seed, 1, size, (), ())
            for count, spares, size in strata]
