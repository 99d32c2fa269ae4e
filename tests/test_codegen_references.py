"""The references' limits at +-inf (``accuracy.numeric_limit``): from the values at
+-1e50, 1e100 and 1e200, a function decaying like 1 / x tends to 0 (its value at 1e200 was
taken for the limit: sinc's kernel gave -5.4e-201 at +-inf and bent_identity'' 2.0e-261), and
one growing like log |x| grows without bound (soft_exponential with alpha < 0)."""

from __future__ import annotations

import mpmath
import pytest

from symact.codegen.accuracy import numeric_limit


@pytest.mark.parametrize(("f", "plus", "minus"), [
    (lambda x: 2 * mpmath.log(1 + x / 2) if x > -2 else mpmath.nan, "inf", "nan"),
    (lambda x: 1 / (1 + abs(x)), "0.0", "0.0"),
    (lambda x: mpmath.sin(x) / x, "0.0", "0.0"),
    (lambda x: mpmath.sin(x), "nan", "nan"),
    (lambda x: 2 + 1 / x, "2.0", "2.0"),
    (lambda x: x ** 3, "inf", "-inf"),
    (lambda x: mpmath.sqrt(abs(x)), "inf", "inf"),
])
def test_numeric_limit(f, plus, minus):
    assert numeric_limit(f, 1) == plus
    assert numeric_limit(f, -1) == minus
