"""Known-answer values of the RAT-STATS emulation, derived by hand from its rules (docs/SAMPLING.md).

Seeding (state is 24 bits, M = 2^24):
  Rnd(-1): bits of single -1.0 = 0xBF800000 = 3,212,836,864; state = (b + (b >> 24)) mod M
           = (3,212,836,864 + 191) mod 16,777,216 = 8,388,799.
  Rnd():   (8,388,799 x 1,140,671,485 + 12,820,163) mod M = 3,758,214 (the specification's "Step 1").
  Randomize(12345): double 12345.0 = 0x40C81C80_00000000, h = 0x40C81C80;
           x = 0x40C8 XOR 0x1C80 = 0x5C48 = 23,624; state = (3,758,214 AND 0xFF0000FF) OR (23,624 << 8)
           = 0x86 OR 0x5C4800 = 6,047,878.
  Rnd() three times, seed_i = floor(m_i x state / M) + 1 -> 11,394, 24,689, 22,120.
First draw, low 1, high 1000:
  A = 171 (11,394 mod 177) - 2 (11,394 div 177) = 171 x 66 - 2 x 64 = 11,158
  B = 172 (24,689 mod 176) - 35 (24,689 div 176) = 172 x 49 - 35 x 140 = 3,528
  C = 170 (22,120 mod 178) - 63 (22,120 div 178) = 170 x 48 - 63 x 124 = 348
  u = frac(11,158/30,269 + 3,528/30,307 + 348/30,323) = 0.496513...; number = floor(u x 1000) + 1 = 497.
"""
from __future__ import annotations

import pytest

from review.random_numbers import (
    RandomNumberError,
    WichmannHill,
    _randomize,
    _rnd,
    _rnd_minus_one,
    random_numbers,
    wichmann_hill_seeds,
)


def test_vb6_seeding_steps_match_the_specification():
    assert _rnd_minus_one() == 8_388_799
    assert _rnd(8_388_799) == 3_758_214
    assert _randomize(3_758_214, 12345) == 6_047_878


@pytest.mark.parametrize(("seed", "seeds"), [
    (12345, (11_394, 24_689, 22_120)),
    (1, (10_097, 2_066, 18_007)),
    (2026, (25_462, 2_795, 26_718)),
    (0.5, (2_552, 17_153, 25_788)),
])
def test_wichmann_hill_seeds_from_a_rat_stats_seed(seed, seeds):
    assert wichmann_hill_seeds(seed) == seeds


def test_first_as183_step_by_hand():
    generator = WichmannHill((11_394, 24_689, 22_120))
    u = generator.uniform()
    assert generator.state == [11_158, 3_528, 348]
    assert u == pytest.approx(11_158 / 30_269 + 3_528 / 30_307 + 348 / 30_323, abs=1e-15)
    assert int(u * 1000) + 1 == 497


def test_a_draw_is_fixed_by_its_seed_with_selection_order_sorted_and_spares():
    draw = random_numbers(12345, 10, 1, 1000, spares=3)
    assert draw.selection_order == (497, 9, 556, 236, 340, 346, 658, 884, 641, 337)
    assert draw.sorted == (9, 236, 337, 340, 346, 497, 556, 641, 658, 884)
    assert draw.spares == (404, 624, 927)
    assert random_numbers(12345, 13, 1, 1000).selection_order == draw.selection_order + draw.spares


def test_numbers_already_drawn_are_skipped_so_a_draw_can_exhaust_the_frame():
    draw = random_numbers(7, 20, 1, 20)
    assert sorted(draw.selection_order) == list(range(1, 21))
    assert len(set(random_numbers(7, 5, 101, 105).selection_order)) == 5


def test_low_offsets_the_numbers():
    base = random_numbers(99, 8, 1, 500).selection_order
    shifted = random_numbers(99, 8, 1001, 1500).selection_order
    assert [s - 1000 for s in shifted] == list(base)


@pytest.mark.parametrize(("args", "message"), [
    ((1, 5, 10, 1), "above the high"),
    ((1, 11, 1, 10), "without repeats"),
    ((float("nan"), 1, 1, 10), "finite"),
])
def test_impossible_requests_are_refused_in_a_sentence(args, message):
    with pytest.raises(RandomNumberError, match=message):
        random_numbers(*args)
