"""Every colour pair the app draws text with is readable (WCAG AA, 4.5:1) in both themes, computed from the
theme definitions themselves, so a new colour cannot slip under the bar."""

from __future__ import annotations

import pytest

from desktop.common.appearance import _THEMES, TEXT_PAIRS, TINTS, contrast_ratio, theme_colours


def test_contrast_ratio_matches_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("theme", sorted(_THEMES))
def test_every_text_colour_pair_reaches_4_5_to_1(theme: str) -> None:
    colours = theme_colours(theme)
    low = {
        f"{fg} on {bg}": round(contrast_ratio(colours[fg], colours[bg]), 2)
        for fg, bg in TEXT_PAIRS
        if contrast_ratio(colours[fg], colours[bg]) < 4.5
    }
    assert not low, low


@pytest.mark.parametrize("theme", sorted(_THEMES))
def test_text_on_the_translucent_tints_reaches_4_5_to_1(theme: str) -> None:
    colours = theme_colours(theme)
    for tint in TINTS:
        assert contrast_ratio(colours["text"], colours[tint]) >= 4.5, (theme, tint)
