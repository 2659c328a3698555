#!/usr/bin/env python3
"""Independent reference for Ballast's stress grid (`src/risk/stress/`), `--marks venue`,
sticky-strike, on the shared snapshot `data/deribit/btc-options-2020-05-21.jsonl`.

Run from the repository root:

    python3 scripts/reference/stress_reference.py

It needs only python3 and mpmath, and rewrites test/fixtures/risk/stress-reference.json.
Nothing here comes from our TypeScript: Black-76 and its implied volatility are implemented
below in mpmath at WORK_DPS (60) significant digits, every figure is recomputed at CHECK_DPS
(40) digits and required to agree, and the file's inputs are the snapshot's own numbers.

Model (issue 6, item 8, `ballast risk --marks venue --vol-model sticky-strike`)
-------------------------------------------------------------------------------
For each option of the book, from its own snapshot line:
    F  = underlying_price (USD), K = strike, r = interest_rate,
    T  = (expiration_timestamp - timestamp) / (365 * 86400000) years,
    P  = mark_price * underlying_price (the mark in USD, as the venue computes mark_iv),
    iv = the Black-76 vol of P at (F, K, T, r), found by bisection on [1e-8, 20] to 1e-40
         (Black-76 is increasing in vol) and polished by Newton steps.
Black-76 (D = exp(-rT), d1 = ln(F/K)/(s sqrt T) + s sqrt T/2, d2 = d1 - s sqrt T):
    call D [F N(d1) - K N(d2)],  put D [K N(-d2) - F N(-d1)].
Under spot shock s_i and vol shift v_j the option is worth, per contract of 1 BTC, in USD,
    B76(F (1 + s_i), K, T, max(iv + v_j, 0.01), r),
and the book value is the sum of amount x that. An inverse future of N USD (signed) adds
N x s_i USD: its coin P&L N (1/F - 1/F') valued at the new mark F' = F (1 + s). pnl_usd[i][j]
is the book value in cell (i, j) minus the value at s = 0, v = 0.

The future line (BTC-26JUN20) is added to the market by the test; its mark does not enter the
P&L (N s only), but the line is written here so that the test and the reference use one book.
"""
import json
import os

import mpmath as mp

WORK_DPS = 60
CHECK_DPS = 40
SNAPSHOT = 'data/deribit/btc-options-2020-05-21.jsonl'
OUT = 'test/fixtures/risk/stress-reference.json'
MS_PER_YEAR = 365 * 86400000

BOOK = [
    ('BTC-22MAY20-9250-P', 10.0),
    ('BTC-22MAY20-9000-C', -15.0),
    ('BTC-23MAY20-9500-C', 7.5),
    ('BTC-29MAY20-8000-P', -20.0),
    ('BTC-29MAY20-10000-C', 12.0),
    ('BTC-5JUN20-9000-P', 5.0),
    ('BTC-5JUN20-11000-C', -30.0),
    ('BTC-26JUN20-7000-P', 25.0),
    ('BTC-26JUN20-10000-C', -25.0),
    ('BTC-25SEP20-9000-C', 4.0),
    ('BTC-25SEP20-6000-P', -8.0),
    ('BTC-25DEC20-14000-C', 15.0),
]
FUTURE = ('BTC-26JUN20', -150000.0)
FUTURE_LINE = {
    'instrument_name': 'BTC-26JUN20',
    'mark_price': 9160.5,
    'index_price': 9095.83,
    'timestamp': 1590103300000,
}
SPOT_SHOCKS = ['-0.2', '-0.1', '0', '0.1', '0.2']
VOL_SHIFTS = ['-0.1', '0', '0.1']
VOL_FLOOR = '0.01'


def ncdf(x):
    return mp.ncdf(x)


def black76(is_call, f, k, t, s, r):
    d = mp.e ** (-r * t)
    st = s * mp.sqrt(t)
    d1 = mp.log(f / k) / st + st / 2
    d2 = d1 - st
    if is_call:
        return d * (f * ncdf(d1) - k * ncdf(d2))
    return d * (k * ncdf(-d2) - f * ncdf(-d1))


def vega(f, k, t, s, r):
    st = s * mp.sqrt(t)
    d1 = mp.log(f / k) / st + st / 2
    return mp.e ** (-r * t) * f * mp.npdf(d1) * mp.sqrt(t)


def implied_vol(is_call, price, f, k, t, r):
    lo, hi = mp.mpf('1e-8'), mp.mpf(20)
    if not (black76(is_call, f, k, t, lo, r) < price < black76(is_call, f, k, t, hi, r)):
        raise ValueError('price outside the Black-76 range')
    for _ in range(400):
        mid = (lo + hi) / 2
        if black76(is_call, f, k, t, mid, r) < price:
            lo = mid
        else:
            hi = mid
        if hi - lo < mp.mpf(10) ** (-(mp.mp.dps - 10)):
            break
    s = (lo + hi) / 2
    for _ in range(3):
        s -= (black76(is_call, f, k, t, s, r) - price) / vega(f, k, t, s, r)
    return s


def compute(lines):
    options = []
    for name, amount in BOOK:
        q = lines[name]
        is_call = q['option_type'] == 'call'
        f = mp.mpf(q['underlying_price'])
        k = mp.mpf(q['strike'])
        t = (mp.mpf(q['expiration_timestamp']) - mp.mpf(q['timestamp'])) / MS_PER_YEAR
        r = mp.mpf(q['interest_rate'])
        iv = implied_vol(is_call, mp.mpf(q['mark_price']) * f, f, k, t, r)
        options.append((name, mp.mpf(amount), is_call, f, k, t, r, iv))

    def value(s, v):
        total = mp.mpf(0)
        for _, amount, is_call, f, k, t, r, iv in options:
            vol = max(iv + v, mp.mpf(VOL_FLOOR))
            total += amount * black76(is_call, f * (1 + s), k, t, vol, r)
        return total + mp.mpf(FUTURE[1]) * s

    base = value(mp.mpf(0), mp.mpf(0))
    grid = [[value(mp.mpf(s), mp.mpf(v)) - base for v in VOL_SHIFTS] for s in SPOT_SHOCKS]
    return options, base, grid


def main():
    lines = {}
    with open(SNAPSHOT) as fh:
        for text in fh:
            if text.strip():
                q = json.loads(text)
                lines[q['instrument_name']] = q
    mp.mp.dps = WORK_DPS
    options, base, grid = compute(lines)
    mp.mp.dps = CHECK_DPS
    options2, base2, grid2 = compute(lines)
    mp.mp.dps = WORK_DPS
    tol = mp.mpf(10) ** -25
    for a, b in zip(options, options2):
        assert abs(a[7] - b[7]) < tol, a[0]
    for ra, rb in zip(grid, grid2):
        for a, b in zip(ra, rb):
            assert abs(a - b) < tol * max(1, abs(a))
    out = {
        'source': 'scripts/reference/stress_reference.py (mpmath, %d digits, checked at %d)' % (WORK_DPS, CHECK_DPS),
        'snapshot': SNAPSHOT,
        'vol_model': 'sticky-strike',
        'marks': 'venue',
        'book': [{'instrument': n, 'amount': a} for n, a in BOOK] + [{'instrument': FUTURE[0], 'amount': FUTURE[1]}],
        'future_line': FUTURE_LINE,
        'iv_mark': {o[0]: float(o[7]) for o in options},
        'base_value_usd': float(base),
        'spot_shocks': [float(s) for s in SPOT_SHOCKS],
        'vol_shifts': [float(v) for v in VOL_SHIFTS],
        'pnl_usd': [[float(x) for x in row] for row in grid],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as fh:
        json.dump(out, fh, indent=2)
        fh.write('\n')
    print('wrote', OUT)


if __name__ == '__main__':
    main()
