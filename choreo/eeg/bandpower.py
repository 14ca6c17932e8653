"""Relative theta and alpha power over sliding windows, live and offline alike.

Definition
----------
For each window of ``n`` samples (default 2 s, a new one every hop of 125 ms)
and each channel, the samples are linearly detrended, multiplied by a
periodic Hann window and Fourier transformed (0.5 Hz bins for a 2 s window).
The power of a band is the sum of ``|X[k]|^2`` over the bins whose frequency
lies in ``[low, high)``, scaled so that it is the signal's power in uV^2
(``2 |X|^2 / (n sum(w^2))``). Relative theta (4-8 Hz) and alpha (8-12 Hz) are
band power over the total 1-40 Hz power: *power*, not amplitude, and a plain
ratio, not a log ratio. It is the modified periodogram that
``scipy.signal.periodogram(x, window="hann", detrend="linear")`` computes.

Mains: bins within ``line_width_hz`` of the mains frequency and its harmonics
are left out of the total (with 50/60 Hz mains and a 1-40 Hz total there are
none). Leakage from a strong mains line into 1-40 Hz is kept small by the
Hann window, whose side lobes fall off with the third power of the distance
(a 40 uV mains line moves relative alpha by < 1e-3, see the tests); the
mains power itself is measured (``line``) for the quality index.

Gaps: a timestamp step longer than ``gap_periods`` sample periods plus
``gap_slack_s`` (default 2.5 periods + 2 ms: 11.8 ms at 256 Hz, above the
1 ms rounding of muselsl timestamps, below one lost 12-sample Muse packet),
or a step backwards by more than the slack, ends the current segment: the
buffer restarts, so no window straddles a gap, and the first window after it
ends one window length later. Chunk boundaries are not gaps.

Bad samples: NaN, inf and absurd values (>= 10 V) are counted per window
(``n_bad``) and enter the sums as zeros; the windows holding them report NaN
relative power, the quality layer rejects them, and the windows after them
are untouched.

How it is fast, and why streaming and batch give the same numbers
------------------------------------------------------------------
The window is a whole number ``n_blocks`` of hops ("blocks"). Every block is
transformed once, when it arrives: its DFT at the needed bins (about 90 for
1-40 Hz and the mains neighbourhood at 0.5 Hz resolution), referred to the
segment's time origin, plus the sums that the detrend and the quality checks
need. A window's DFT is then the *sum* of its blocks' DFTs (kept as a running
sum, refreshed exactly once per window length), a phase turns it to the
window's own origin, and Hann windowing is a three-tap combination of
neighbouring bins. A hop thus costs ``hop x 2K`` multiply-adds per channel
instead of ``n x 2K`` (a full matrix product) or an FFT of the window.

There is one code path: a compiled kernel (numba) that takes whole blocks
one after the other. :meth:`StreamingBandPower.push` hands it whatever
blocks a chunk completes, :func:`batch_band_power` hands it every block of a
recording; the same blocks go through the same arithmetic in the same order,
so live and offline numbers are identical, whatever the chunking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
from numba import njit
from numpy.typing import NDArray

from choreo.eeg.settings import BandPowerSettings
from choreo.eeg.stream import Chunk, FloatArray
from choreo.errors import InputError

__all__ = [
    "BandPowerSettings",
    "BandPowerWindows",
    "SpectralPlan",
    "StreamingBandPower",
    "batch_band_power",
]

ComplexArray = NDArray[np.complex128]

#: Samples whose magnitude is at least this (uV, i.e. 10 V) are treated like NaN:
#: no EEG amplifier produces them, and they would overflow the sums of squares.
ABSURD_UV = 1e7


@dataclass(frozen=True)
class BandPowerWindows:
    """Per-window results, one row per window, one column per channel.

    Attributes
    ----------
    t
        Window end time (timestamp of its last sample), s, ``(n_windows,)``.
    rel_theta, rel_alpha
        Relative theta and alpha power (0..1), ``(n_windows, n_channels)``;
        NaN where the total power is zero or the window holds bad samples.
    total
        Power in the total band (1-40 Hz), uV^2.
    line
        Power within ``line_width_hz`` of the mains frequency, uV^2 (NaN when
        the mains frequency is above Nyquist).
    ptp
        Peak-to-peak amplitude, uV.
    std
        Standard deviation, uV.
    max_abs
        Largest absolute sample value, uV.
    extreme_share
        Share of samples sitting exactly at the window's maximum or minimum
        (the larger of the two), 0..1.
    n_bad
        Number of NaN, infinite or absurd (>= 10 V) samples.
    """

    t: FloatArray
    rel_theta: FloatArray
    rel_alpha: FloatArray
    total: FloatArray
    line: FloatArray
    ptp: FloatArray
    std: FloatArray
    max_abs: FloatArray
    extreme_share: FloatArray
    n_bad: FloatArray

    @property
    def n_windows(self) -> int:
        """Number of windows."""
        return int(self.t.shape[0])

    @classmethod
    def empty(cls, n_channels: int) -> BandPowerWindows:
        """No windows."""
        z = np.empty((0, n_channels))
        return cls(np.empty(0), z, z, z, z, z, z, z, z, np.empty((0, n_channels), dtype=np.int64))

    @classmethod
    def concat(cls, parts: list[BandPowerWindows], n_channels: int) -> BandPowerWindows:
        """Join results in order."""
        parts = [p for p in parts if p.n_windows]
        if not parts:
            return cls.empty(n_channels)
        if len(parts) == 1:
            return parts[0]
        return cls(
            *(np.concatenate([getattr(p, f.name) for p in parts], axis=0) for f in fields(cls))
        )


def _bins_in(freqs: FloatArray, band: tuple[float, float]) -> NDArray[np.bool_]:
    lo, hi = band
    eps = 1e-9 * max(1.0, hi)
    return (freqs >= lo - eps) & (freqs < hi - eps)


@dataclass(frozen=True)
class SpectralPlan:
    """Everything precomputed for one rate and settings (see the module docstring).

    Attributes
    ----------
    hop, n_blocks, n
        Samples per hop, hops per window, samples per window (``hop * n_blocks``).
    bins, freqs
        The DFT bins computed (total band, mains neighbourhood, and at most two
        unused bins where these runs meet), and their frequencies (Hz).
    """

    sfreq: float
    hop: int
    n_blocks: int
    n: int
    bins: NDArray[np.int64]
    freqs: FloatArray
    has_line: bool
    #: (n_blocks, hop, 2 * (n_bins + 2) + 2): per start slot of a block, the DFT at
    #: the bins and their outer neighbours, referred to the segment origin, Re/Im
    #: interleaved, then the columns (1, j) that give sum x and sum j x.
    block_dft: FloatArray = field(repr=False)
    rho_q: ComplexArray = field(repr=False)  # (n_blocks,): exp(2 pi i s / n_blocks) / 4
    #: (2, n_blocks, n_bins): Hann-windowed DFT of the ramp (i - c) and of ones, turned
    #: to the segment origin for a window starting at each slot (the detrend).
    trend: ComplexArray = field(repr=False)
    ramp_norm: float
    #: (4, n_bins): theta, alpha, total, mains bins, times the |X|^2 -> uV^2 scale.
    weights: FloatArray = field(repr=False)

    @classmethod
    def build(cls, sfreq: float, settings: BandPowerSettings) -> SpectralPlan:
        """Precompute the plan; raises :class:`InputError` if the rate is too low."""
        if not sfreq > 0 or not math.isfinite(sfreq):
            raise InputError(f"sampling rate {sfreq!r} Hz is not a positive number")
        nyquist = sfreq / 2
        if settings.total_hz[1] >= nyquist:
            raise InputError(
                f"rate {sfreq:g} Hz is too low for the bands: the total band reaches "
                f"{settings.total_hz[1]:g} Hz, Nyquist is {nyquist:g} Hz"
            )
        hop = max(1, round(settings.hop_s * sfreq))
        n_blocks = max(1, round(settings.window_s / settings.hop_s))
        n = hop * n_blocks
        all_k = np.arange(n // 2)
        all_f = all_k * sfreq / n
        total = _bins_in(all_f, settings.total_hz)
        # Leave mains and its harmonics out of the total (none for 1-40 Hz and 50/60 Hz).
        n_harm = int(settings.total_hz[1] // settings.line_hz) + 1
        near_line = np.zeros_like(total)
        for h in settings.line_hz * np.arange(1, n_harm + 1):
            near_line |= np.abs(all_f - h) <= settings.line_width_hz + 1e-9
        total &= ~near_line
        line = (np.abs(all_f - settings.line_hz) <= settings.line_width_hz + 1e-9) & (all_k > 0)
        if not total.any():
            raise InputError(f"no frequency bin in the total band at {sfreq:g} Hz")
        used = all_k[total | line]
        # Contiguous runs of used bins, each padded by its two neighbours (the Hann
        # window mixes bin k with k - 1 and k + 1). ``bins`` are the interior positions;
        # the ones at a junction between runs are computed but carry no weight.
        runs = np.split(used, np.flatnonzero(np.diff(used) > 1) + 1)
        ext = np.concatenate([np.arange(r[0] - 1, r[-1] + 2) for r in runs])
        real = np.concatenate([[False, *([True] * r.size), False] for r in runs])[1:-1]
        bins = ext[1:-1]
        freqs = bins * sfreq / n

        j = np.arange(hop)
        slots = np.arange(n_blocks)
        # DFT of a block that starts at slot r, referred to the segment origin.
        ang = -2 * np.pi * ext[None, None, :] * (slots[:, None, None] * hop + j[None, :, None]) / n
        block_dft = np.empty((n_blocks, hop, 2 * ext.size + 2))
        block_dft[:, :, 0 : 2 * ext.size : 2] = np.cos(ang)
        block_dft[:, :, 1 : 2 * ext.size : 2] = np.sin(ang)
        block_dft[:, :, -2] = 1.0
        block_dft[:, :, -1] = j
        rho_q = 0.25 * np.exp(2j * np.pi * slots / n_blocks)
        # conj(rho_k) for a window starting at slot s: turns its own DFT to the segment origin.
        back = np.exp(-2j * np.pi * np.outer(slots, bins) / n_blocks)

        i = np.arange(n)
        w = 0.5 - 0.5 * np.cos(2 * np.pi * i / n)  # periodic Hann, like scipy's get_window("hann")
        c = (n - 1) / 2
        e = np.exp(-2j * np.pi * np.outer(bins, i) / n)
        hann_dc = e @ w
        hann_ramp = e @ (w * (i - c))
        # The Hann-windowed DFT of a constant is zero from bin 2 on (up to rounding).
        trend_dc = back * hann_dc if bins[0] < 2 else np.zeros_like(back)
        power_scale = 2.0 / (n * float(np.sum(w**2)))

        weights = np.vstack(
            [
                _bins_in(freqs, settings.theta_hz) & real,
                _bins_in(freqs, settings.alpha_hz) & real,
                np.isin(bins, all_k[total]) & real,
                np.isin(bins, all_k[line]) & real,
            ]
        ).astype(float)
        return cls(
            sfreq=float(sfreq),
            hop=hop,
            n_blocks=n_blocks,
            n=n,
            bins=bins,
            freqs=freqs,
            has_line=bool(line.any()),
            block_dft=block_dft,
            rho_q=rho_q,
            trend=np.ascontiguousarray(np.stack([back * hann_ramp, trend_dc]), dtype=complex),
            ramp_norm=float(np.sum((i - c) ** 2)),
            weights=np.ascontiguousarray(weights * power_scale),
        )

    @property
    def window_s(self) -> float:
        """Effective window length, s."""
        return self.n / self.sfreq

    @property
    def hop_s(self) -> float:
        """Effective hop, s."""
        return self.hop / self.sfreq


@njit(cache=True)
def _first_gap(ts: FloatArray, last_t: float, gap_step: float, back_step: float) -> int:
    """Index of the first sample after a gap (or a step backwards), -1 if none."""
    prev = ts[0] if math.isnan(last_t) else last_t
    for i in range(ts.shape[0]):
        step = ts[i] - prev
        if step > gap_step or step < back_step:
            return i
        prev = ts[i]
    return -1


# Reassociation lets LLVM vectorise the sums (2x faster); no "nnan"/"ninf": the kernel
# must see NaN and inf samples to count them.
@njit(cache=True, fastmath={"contract", "arcp", "reassoc"})
def _push_blocks(
    x: FloatArray,
    t_end: FloatArray,
    offset: FloatArray,
    dft: FloatArray,
    rho_q: ComplexArray,
    trend: ComplexArray,
    weights: FloatArray,
    ramp_norm: float,
    ring_f: ComplexArray,
    ring_e: FloatArray,
    wsum: ComplexArray,
    n_done: int,
    out: FloatArray,
    out_t: FloatArray,
) -> int:
    """Whole blocks in; block features into the ring; every completed window out.

    ``x`` holds ``nb * hop`` samples ``(samples, ch)`` in uV; ``t_end`` each block's
    last timestamp. The ring rows (one per start slot, i.e. block index modulo
    ``n_blocks``) hold per channel: the block's DFT at the extended bins referred
    to the segment origin, then ``sum x + i sum j x`` (j from the block start),
    then ``sum x^2 + i * bad samples``; ``ring_e`` the block's max, -min and how
    many samples sit at each. ``wsum`` is the running sum of the ring rows (the
    window's sums), refreshed exactly from the ring once per window length so
    that rounding cannot build up. Windows go to ``out`` rows (rel theta, rel
    alpha, total, mains, ptp, std, max |x|, extreme share, bad samples). Returns
    the number of windows written.
    """
    nbw, hop, n_dft = dft.shape
    n_ch = x.shape[1]
    n_ext = ring_f.shape[2] - 2
    n_int = n_ext - 2
    nb = x.shape[0] // hop
    n = nbw * hop
    centre = (n - 1) / 2.0
    acc = np.empty(n_dft)
    written = 0
    for b in range(nb):
        slot = (n_done + b) % nbw
        a = dft[slot]
        for c in range(n_ch):
            acc[:] = 0.0
            sq = 0.0
            bad = 0.0
            mx = -np.inf
            mn = np.inf
            for j in range(hop):
                v = x[b * hop + j, c] - offset[c]
                if not abs(v) < ABSURD_UV:  # NaN, inf or absurd: count it, use 0
                    bad += 1.0
                    v = 0.0
                sq += v * v
                mx = max(mx, v)
                mn = min(mn, v)
                for k in range(n_dft):
                    acc[k] += v * a[j, k]
            at_max = 0.0
            at_min = 0.0
            for j in range(hop):
                v = x[b * hop + j, c] - offset[c]
                if not abs(v) < ABSURD_UV:
                    v = 0.0
                if v == mx:
                    at_max += 1.0
                if v == mn:
                    at_min += 1.0
            # The block leaving the window (same slot) out of the running sum, the new one in.
            for k in range(n_ext):
                z = complex(acc[2 * k], acc[2 * k + 1])
                wsum[c, k] += z - ring_f[slot, c, k]
                ring_f[slot, c, k] = z
            z = complex(acc[n_dft - 2], acc[n_dft - 1])
            wsum[c, n_ext] += z - ring_f[slot, c, n_ext]
            ring_f[slot, c, n_ext] = z
            z = complex(sq, bad)
            wsum[c, n_ext + 1] += z - ring_f[slot, c, n_ext + 1]
            ring_f[slot, c, n_ext + 1] = z
            ring_e[slot, 0, c] = mx
            ring_e[slot, 1, c] = -mn
            ring_e[slot, 2, c] = at_max
            ring_e[slot, 3, c] = at_min
        if slot == nbw - 1:
            wsum[:] = 0.0
            for r in range(nbw):
                wsum += ring_f[r]
        if n_done + b + 1 < nbw:
            continue
        # A window ends with this block: it starts at the next slot.
        start = (slot + 1) % nbw
        rq = rho_q[start]
        rqc = rq.conjugate()
        for c in range(n_ch):
            s = wsum[c]
            jx = 0.0
            for r in range(nbw):
                jx += ((r - start) % nbw) * hop * ring_f[r, c, n_ext].real
            x_sum = s[n_ext].real
            mean = x_sum / n
            slope = (s[n_ext].imag + jx - centre * x_sum) / ramp_norm
            p_theta = 0.0
            p_alpha = 0.0
            p_total = 0.0
            p_line = 0.0
            for i in range(n_int):
                # Hann as three bins, back to the window's origin, minus the fitted line.
                v = (
                    0.5 * s[i + 1]
                    - rqc * s[i]
                    - rq * s[i + 2]
                    - slope * trend[0, start, i]
                    - mean * trend[1, start, i]
                )
                p = v.real * v.real + v.imag * v.imag
                p_theta += weights[0, i] * p
                p_alpha += weights[1, i] * p
                p_total += weights[2, i] * p
                p_line += weights[3, i] * p
            n_bad = s[n_ext + 1].imag
            vmax = -np.inf
            neg_min = -np.inf
            for r in range(nbw):
                vmax = max(vmax, ring_e[r, 0, c])
                neg_min = max(neg_min, ring_e[r, 1, c])
            at_max = 0.0
            at_min = 0.0
            for r in range(nbw):
                if ring_e[r, 0, c] == vmax:
                    at_max += ring_e[r, 2, c]
                if ring_e[r, 1, c] == neg_min:
                    at_min += ring_e[r, 3, c]
            if n_bad > 0.5 or not p_total > 0.0:
                rel_t = np.nan
                rel_a = np.nan
            else:
                rel_t = p_theta / p_total
                rel_a = p_alpha / p_total
            if n_bad > 0.5:
                p_total = np.nan
                p_line = np.nan
            out[0, written, c] = rel_t
            out[1, written, c] = rel_a
            out[2, written, c] = p_total
            out[3, written, c] = p_line
            out[4, written, c] = vmax + neg_min
            out[5, written, c] = math.sqrt(max(s[n_ext + 1].real / n - mean * mean, 0.0))
            out[6, written, c] = max(vmax + offset[c], neg_min - offset[c])
            out[7, written, c] = max(at_max, at_min) / n
            out[8, written, c] = n_bad
        out_t[written] = t_end[b]
        written += 1
    return written


class StreamingBandPower:
    """Sliding-window relative band power, fed chunk by chunk.

    Parameters
    ----------
    sfreq
        Nominal sampling rate, Hz.
    n_channels
        Number of channels (columns of every chunk).
    settings
        Window, hop, bands, mains and gap rule.

    Notes
    -----
    ``push`` accepts any number of samples (one sample, one hop, a whole
    file) and returns the windows completed by them. Every block goes through
    the same compiled kernel in the same order whatever the chunking, so the
    same samples give bit-identical windows live and offline.
    """

    def __init__(
        self, sfreq: float, n_channels: int, settings: BandPowerSettings | None = None
    ) -> None:
        self.settings = settings or BandPowerSettings()
        self.plan = SpectralPlan.build(sfreq, self.settings)
        self.n_channels = int(n_channels)
        self._gap_step = self.settings.gap_periods / sfreq + self.settings.gap_slack_s
        self._back_step = -self.settings.gap_slack_s
        self.n_gaps = 0
        self._empty = BandPowerWindows.empty(self.n_channels)
        self._last_t = math.nan
        self.reset()

    def reset(self) -> None:
        """Forget the buffered samples: the next sample starts a new segment."""
        plan, ch = self.plan, self.n_channels
        nbw = plan.n_blocks
        self._pending = np.empty((0, ch))
        self._pending_t = np.empty(0)
        self._offset = np.zeros(ch)
        self._started = False
        self._n_blocks_done = 0
        # One row per start slot (block index mod n_blocks), see _push_blocks.
        self._ring_f = np.zeros((nbw, ch, plan.block_dft.shape[2] // 2 + 1), dtype=complex)
        self._ring_e = np.zeros((nbw, 4, ch))
        self._wsum = np.zeros(self._ring_f.shape[1:], dtype=complex)

    def push(self, chunk: Chunk) -> BandPowerWindows:
        """Add samples; return the windows they complete (maybe none)."""
        if chunk.n_channels != self.n_channels:
            raise InputError(
                f"chunk has {chunk.n_channels} channels, the estimator {self.n_channels}"
            )
        if chunk.n_samples == 0:
            return self._empty
        data, ts = chunk.data, chunk.timestamps
        parts: list[BandPowerWindows] = []
        while True:
            cut = _first_gap(ts, self._last_t, self._gap_step, self._back_step)
            if cut < 0:
                break
            if cut > 0:
                parts.append(self._push_segment(data[:cut], ts[:cut]))
            self._last_t = float(ts[cut])
            self.reset()
            self.n_gaps += 1
            data, ts = data[cut:], ts[cut:]
        self._last_t = float(ts[-1])
        if not parts:
            return self._push_segment(data, ts)
        parts.append(self._push_segment(data, ts))
        return BandPowerWindows.concat(parts, self.n_channels)

    def _push_segment(self, data: FloatArray, ts: FloatArray) -> BandPowerWindows:
        """Samples without a gap inside, continuing the current segment."""
        plan = self.plan
        hop = plan.hop
        if not self._started:
            # Refer the segment to its first sample: the same spectra (the detrend removes
            # any constant) but smaller sums, so less rounding with large DC offsets.
            first = data[0]
            self._offset = np.where(np.abs(first) < ABSURD_UV, first, 0.0)
            self._started = True
        if self._pending.shape[0]:
            data = np.concatenate([self._pending, data])
            ts = np.concatenate([self._pending_t, ts])
        n_full = data.shape[0] - data.shape[0] % hop
        self._pending = data[n_full:]
        self._pending_t = ts[n_full:]
        nb = n_full // hop
        if nb == 0:
            return self._empty
        out = np.empty((9, nb, self.n_channels))
        out_t = np.empty(nb)
        n_w = _push_blocks(
            np.ascontiguousarray(data[:n_full], dtype=np.float64),
            np.ascontiguousarray(ts[hop - 1 : n_full : hop]),
            self._offset,
            plan.block_dft,
            plan.rho_q,
            plan.trend,
            plan.weights,
            plan.ramp_norm,
            self._ring_f,
            self._ring_e,
            self._wsum,
            self._n_blocks_done,
            out,
            out_t,
        )
        self._n_blocks_done += nb
        if n_w == 0:
            return self._empty
        line = out[3, :n_w] if plan.has_line else np.full((n_w, self.n_channels), np.nan)
        return BandPowerWindows(
            out_t[:n_w],
            out[0, :n_w],
            out[1, :n_w],
            out[2, :n_w],
            line,
            out[4, :n_w],
            out[5, :n_w],
            out[6, :n_w],
            out[7, :n_w],
            out[8, :n_w],
        )


def batch_band_power(
    data: FloatArray,
    timestamps: FloatArray,
    sfreq: float,
    settings: BandPowerSettings | None = None,
) -> BandPowerWindows:
    """Band power of a whole recording: the streaming estimator fed every sample at once.

    Parameters
    ----------
    data
        ``(n_samples, n_channels)`` in uV.
    timestamps
        ``(n_samples,)`` in s; gaps restart the window (see the module docstring).
    sfreq
        Nominal rate, Hz.
    settings
        As for :class:`StreamingBandPower`.
    """
    data = np.asarray(data, dtype=float)
    est = StreamingBandPower(sfreq, data.shape[1], settings)
    return est.push(Chunk(data, np.asarray(timestamps, dtype=float)))
