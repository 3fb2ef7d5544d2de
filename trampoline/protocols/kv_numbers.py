"""What the key-value store's commands share: the replies every type
gives (a syntax error, a bad integer, 0 and 1), the integers Redis reads
(``to_int``), and the C long doubles of INCRBYFLOAT and HINCRBYFLOAT.
``kv`` (the store and its strings) and ``kv_types`` (its lists, hashes,
sets and sorted sets) import it; it imports neither."""

import re
from fractions import Fraction

INT_MIN, INT_MAX = -2**63, 2**63 - 1
NOT_AN_INTEGER = b"-ERR value is not an integer or out of range\r\n"
SYNTAX_ERROR = b"-ERR syntax error\r\n"
ZERO, ONE = b":0\r\n", b":1\r\n"


def to_int(data):
    """The 64-bit integer ``data`` spells exactly as Redis wants it ("12",
    "-3"; not "+1", " 1", "01", "1.0"), or None."""
    if len(data) > 20:                  # longer than "-9223372036854775808"
        return None
    # int() then a check that the number spells back as ``data``: half the
    # cost of a regular expression (int() also takes "+1", " 1", "01",
    # "1_000" and "-0"; none of them spells back).
    try:
        value = int(data)
    except ValueError:
        return None
    if b"%d" % value != data:
        return None
    return value if INT_MIN <= value <= INT_MAX else None


def wrong_arity(name):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name


# ================================================================ long doubles (INCRBYFLOAT)
#
# Redis adds INCRBYFLOAT's numbers as C long doubles -- on x86-64 the
# 80-bit kind: a 64-bit significand, exponents down to 2**-16445
# (subnormal) -- and prints the sum with "%.17Lf", trailing zeros
# trimmed.  Python has no such type: a value here is a Fraction, exact,
# rounded to the nearest long double (ties to even) after each step, or
# an infinity (a float).  0.1 + 0.2 is "0.3" this way, as in Redis; in
# doubles it would be "0.30000000000000004".

LD_LEAST_EXPONENT = -16445                      # the least subnormal: 2**-16445
LD_MAX = ((1 << 64) - 1) << (16383 - 63)        # the greatest finite long double
MAX_FLOAT_CHARS = 5 * 1024                      # Redis's MAX_LONG_DOUBLE_CHARS
_DECIMAL = re.compile(rb"([+-]?)([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?")
_HEXADECIMAL = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?[0-9]+))?")
_INFINITY = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)


def parse_long_double(data):
    """The long double Redis reads in ``data`` (C's ``strtold``, all of
    it: "1.5", "-.5e3", "0x1p-2", "inf"; not "", " 1", "1\\0", "nan", nor a
    number beyond the long doubles or so small it rounds to 0), or None."""
    if len(data) >= MAX_FLOAT_CHARS:
        return None
    text = data
    found = _INFINITY.fullmatch(text)
    if found:
        return float(found.group(1) + b"inf")
    found = _HEXADECIMAL.fullmatch(text)
    if found and (found.group(2) or found.group(3)):
        sign, whole, fraction, exponent = found.groups()
        return _nearest(sign, int(whole + fraction, 16), 2,
                        _exponent(exponent) - 4 * len(fraction))
    found = _DECIMAL.fullmatch(text)
    if found and (found.group(2) or found.group(3)):
        sign, whole, fraction, exponent = found.groups()
        return _nearest(sign, _decimal_int(whole + fraction), 10,
                        _exponent(exponent) - len(fraction))
    return None


def _exponent(digits):
    """An exponent's digits as an int; past 10**8, any one far beyond what
    a long double holds."""
    if digits is None:
        return 0
    negative = digits[:1] == b"-"
    digits = digits.lstrip(b"+-").lstrip(b"0") or b"0"
    number = int(digits) if len(digits) < 9 else 10**8
    return -number if negative else number


def _nearest(sign, significand, base, exponent):
    """``significand * base**exponent`` rounded to a long double; None if
    it overflows or rounds to 0 (strtold's ERANGE)."""
    if significand == 0:
        return Fraction(0)
    bits = significand.bit_length() + exponent * (1 if base == 2 else 3.32193)
    if not -16500 < bits < 16400:
        return None                         # far beyond or below: no need to compute
    value = significand * Fraction(base) ** exponent
    value = round_long_double(-value if sign == b"-" else value)
    return None if value is None or value == 0 else value


def round_long_double(value):
    """The long double nearest the Fraction ``value`` (ties to even), or
    None if it is beyond the greatest."""
    if value == 0:
        return Fraction(0)
    numerator, denominator = abs(value.numerator), value.denominator
    shift = max(numerator.bit_length() - denominator.bit_length() - 64, LD_LEAST_EXPONENT)
    while True:                             # 64 significant bits (fewer if subnormal)
        if shift >= 0:
            whole, rest = divmod(numerator, denominator << shift)
            half = denominator << shift
        else:
            whole, rest = divmod(numerator << -shift, denominator)
            half = denominator
        if whole < 1 << 64:
            break
        shift += 1
    if 2 * rest > half or (2 * rest == half and whole & 1):
        whole += 1
    result = Fraction(whole << shift) if shift >= 0 else Fraction(whole, 1 << -shift)
    if result > LD_MAX:
        return None
    return result if value > 0 else -result


def add_long_doubles(a, b):
    """``a + b`` in long doubles, or None if it is infinite or not a number."""
    if isinstance(a, float) or isinstance(b, float):
        # An infinity took part.  (Not ``a + b``: a float and a Fraction
        # beyond the doubles, 1e400, raised OverflowError.)
        return None
    return round_long_double(a + b)


def format_long_double(value):
    """``value`` as Redis prints it: "%.17Lf", trailing zeros (and point) trimmed."""
    scaled = value * 10**17
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole & 1):
        whole += 1
    units, decimals = divmod(whole, 10**17)
    text = (b"%s.%017d" % (_decimal_digits(units), decimals)).rstrip(b"0").rstrip(b".")
    return b"-" + text if value < 0 and text != b"0" else text


def _decimal_digits(number):
    """``b"%d" % number`` for a number >= 0 of any size (Python 3.11+ refuses
    to print an int of more than 4300 digits at once)."""
    if number < 10**4000:
        return b"%d" % number
    high, low = divmod(number, 10**4000)
    return _decimal_digits(high) + b"%04000d" % low


def _decimal_int(digits):
    """``int(digits)`` for any number of digits (see ``_decimal_digits``)."""
    number = 0
    for start in range(0, len(digits), 4000):
        chunk = digits[start:start + 4000]
        number = number * 10**len(chunk) + int(chunk)
    return number
