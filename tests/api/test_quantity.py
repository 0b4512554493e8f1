"""Quantities printed as apimachinery's ``Quantity.String()`` writes them."""

from __future__ import annotations

import pytest

from myriad.api import quantity


@pytest.mark.parametrize(("written", "printed"), [
    ("0", "0"), ("0.0", "0"), ("0Gi", "0"),
    ("1", "1"), ("100", "100"), ("1000", "1k"), ("1500", "1500"), ("2000", "2k"), ("12000k", "12M"),
    ("1.5", "1500m"), ("0.5", "500m"), ("500m", "500m"), ("0.1m", "100u"), ("0.0000000001", "1n"), ("1.0", "1"),
    ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"), ("1.5Gi", "1536Mi"), ("8Ki", "8Ki"),
    ("1024Ki", "1Mi"), ("1.1Ki", "1126400m"), ("512", "512"), ("0.5Ki", "512"), ("2048", "2048"),
    ("1e3", "1e3"), ("1E3", "1E3"), ("1000e0", "1e3"), ("1e-05", "10e-6"), ("1500e0", "1500e0"),
    ("-2048", "-2048"), ("-1.5", "-1500m"), ("-3000", "-3k"),
    ("0012", "0012"), ("+5", "+5"),
    (5, "5"), (0.25, "250m"),
    ("abc", "abc"), ("1Qi", "1Qi"),
])
def test_quantities_print_in_canonical_form_unless_already_canonical(written: object, printed: str) -> None:
    assert quantity.canonical(written) == printed
