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

Gaps: a timestamp step longer than a few sample periods (or backwards) ends
the current segment; the buffer restarts, so no window straddles a gap.

How it is fast, and why streaming and batch give the same numbers
------------------------------------------------------------------
The window is a whole number ``n_blocks`` of hops ("blocks"). Every block is
transformed once, when it arrives: one small matrix product gives its DFT at
the needed bins, referred to the segment's time origin, plus the sums that
the detrend and the quality checks need. A window's DFT is then the *sum* of
its blocks' DFTs (a phase turns it to the window's own origin), and Hann
windowing is a three-tap combination of neighbouring bins. So a hop costs a
``(2K, hop) @ (hop, channels)`` product and a few sums, instead of a full
``(2K, n) @ (n, channels)`` product or an FFT of the window.

There is one code path: :meth:`StreamingBandPower.push` handles any number
of samples at once, vectorised over all the blocks and windows in it, and
:func:`batch_band_power` is that same estimator fed a whole recording. The
numbers differ only by floating-point rounding (< 1e-12 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
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

#: Most blocks handled in one vectorised step (bounds memory for whole files).
_MAX_BLOCKS_PER_STEP = 512


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
            *(
                np.concatenate([getattr(p, f) for p in parts], axis=0)
                for f in (
                    "t",
                    "rel_theta",
                    "rel_alpha",
                    "total",
                    "line",
                    "ptp",
                    "std",
                    "max_abs",
                    "extreme_share",
                    "n_bad",
                )
            )
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
    trend_ramp: ComplexArray = field(repr=False)  # (n_blocks, n_bins)
    trend_dc: ComplexArray | None = field(repr=False)  # (n_blocks, n_bins) or None if zero
    ramp_norm: float
    band_matrix: FloatArray = field(repr=False)  # (2 n_bins, 4) -> theta, alpha, total, line

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
        trend_dc = (back * hann_dc).astype(complex) if bins[0] < 2 else None
        power_scale = 2.0 / (n * float(np.sum(w**2)))

        weights = np.vstack(
            [
                _bins_in(freqs, settings.theta_hz) & real,
                _bins_in(freqs, settings.alpha_hz) & real,
                np.isin(bins, all_k[total]) & real,
                np.isin(bins, all_k[line]) & real,
            ]
        ).astype(float)
        band_matrix = np.repeat(weights.T, 2, axis=0) * power_scale
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
            trend_ramp=back * hann_ramp,
            trend_dc=trend_dc,
            ramp_norm=float(np.sum((i - c) ** 2)),
            band_matrix=band_matrix,
        )

    @property
    def window_s(self) -> float:
        """Effective window length, s."""
        return self.n / self.sfreq

    @property
    def hop_s(self) -> float:
        """Effective hop, s."""
        return self.hop / self.sfreq


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
    file) and returns the windows completed by them; feeding the same
    samples in any chunking gives the same windows and numbers (to rounding).
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
        nbw = self.plan.n_blocks
        # Offset (samples) from a window's start to each ring row, per window start slot.
        self._ring_offsets = ((np.arange(nbw)[None, :] - np.arange(nbw)[:, None]) % nbw) * float(
            self.plan.hop
        )
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
        # Features of the last n_blocks blocks, each in the row of its start slot
        # (block index mod n_blocks): DFT + (sum x, sum j x) + (sum x^2, bad count) as
        # complex numbers; extremes (max, -min) of each channel and their counts.
        self._ring_f = np.zeros((nbw, ch, plan.block_dft.shape[2] // 2 + 1), dtype=complex)
        self._ring_e = np.zeros((nbw, 2, 2 * ch))
        self._ring_t = np.zeros(nbw)
        self._last_t: float | None = None

    def push(self, chunk: Chunk) -> BandPowerWindows:
        """Add samples; return the windows they complete (maybe none)."""
        if chunk.n_channels != self.n_channels:
            raise InputError(
                f"chunk has {chunk.n_channels} channels, the estimator {self.n_channels}"
            )
        if chunk.n_samples == 0:
            return self._empty
        ts = chunk.timestamps
        first = 0.0 if self._last_t is None else float(ts[0]) - self._last_t
        steps = ts[1:] - ts[:-1]
        if self._back_step <= first <= self._gap_step and (
            steps.size == 0 or (steps.max() <= self._gap_step and steps.min() >= self._back_step)
        ):
            self._last_t = float(ts[-1])
            return self._push_segment(chunk.data, ts)
        steps = np.concatenate([[first], steps])
        cuts = np.flatnonzero((steps > self._gap_step) | (steps < self._back_step))
        parts: list[BandPowerWindows] = []
        start = 0
        for cut in [*cuts.tolist(), chunk.n_samples]:
            if cut > start:
                parts.append(self._push_segment(chunk.data[start:cut], ts[start:cut]))
            if cut < chunk.n_samples:
                self.reset()
                self.n_gaps += 1
            start = cut
        self._last_t = float(ts[-1])
        return BandPowerWindows.concat(parts, self.n_channels)

    def _push_segment(self, data: FloatArray, ts: FloatArray) -> BandPowerWindows:
        """Samples without a gap inside, continuing the current segment."""
        hop = self.plan.hop
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
        if n_full == 0:
            return self._empty
        if n_full == hop:
            return self._push_one_block(data[:hop], ts[hop - 1])
        step = _MAX_BLOCKS_PER_STEP * hop
        parts = [
            self._push_blocks(data[s : min(n_full, s + step)], ts[s : min(n_full, s + step)])
            for s in range(0, n_full, step)
        ]
        return BandPowerWindows.concat(parts, self.n_channels)

    def _block_features(
        self, data: FloatArray, feats: ComplexArray, ext: FloatArray, slot0: int
    ) -> None:
        """Features of whole consecutive blocks, written into ``feats`` and ``ext``.

        ``data`` holds ``nb * hop`` samples; ``feats`` is ``(nb, ch, n_ext + 2)``
        complex (zeroed), ``ext`` is ``(nb, 2, 2 ch)``; ``slot0`` is the first
        block's start slot.
        """
        plan = self.plan
        hop, nbw, ch = plan.hop, plan.n_blocks, self.n_channels
        nb = data.shape[0] // hop
        # (blocks, ch, hop): each block's samples contiguous per channel, offset removed.
        xb = np.subtract(data.reshape(nb, hop, ch).transpose(0, 2, 1), self._offset[:, None])
        n_dft = plan.block_dft.shape[2]
        fview = feats.view(float)  # (nb, ch, n_dft + 2)
        sumsq = np.einsum("bcj,bcj->bc", xb, xb, out=fview[:, :, n_dft])
        if not sumsq.max() < hop * ABSURD_UV**2:  # NaN, inf or absurd samples somewhere
            bad = ~(np.abs(xb) < ABSURD_UV)
            xb[bad] = 0.0
            np.einsum("bcj,bcj->bc", xb, xb, out=fview[:, :, n_dft])
            fview[:, :, n_dft + 1] = bad.sum(axis=2)
        if nb == 1:
            np.matmul(xb[0], plan.block_dft[slot0], out=fview[0, :, :n_dft])
        else:
            # Blocks sharing a start slot share a DFT matrix: one product per slot.
            for p in range(min(nb, nbw)):
                sel = slice(p, None, nbw)
                fview[sel, :, :n_dft] = np.matmul(xb[sel], plan.block_dft[(slot0 + p) % nbw])
        # Extremes as maxima of (x, -x): max, -min, and how many samples sit exactly
        # there (a clipped or stuck amplifier repeats its extreme value).
        both = np.concatenate([xb, np.negative(xb)], axis=1)  # (nb, 2 ch, hop)
        peak = both.max(axis=2)
        ext[:, 0] = peak
        ext[:, 1] = (both == peak[..., None]).sum(axis=2)

    def _push_one_block(self, data: FloatArray, t_end: float) -> BandPowerWindows:
        """The live case: one hop completes one block, and at most one window."""
        nbw = self.plan.n_blocks
        slot = self._n_blocks_done % nbw
        ring_f = self._ring_f
        ring_f[slot] = 0.0
        self._block_features(data, ring_f[slot : slot + 1], self._ring_e[slot : slot + 1], slot)
        self._ring_t[slot] = t_end
        self._n_blocks_done += 1
        if self._n_blocks_done < nbw:
            return self._empty
        start_slot = (slot + 1) % nbw
        n_x = ring_f.shape[2] - 2
        win = ring_f.sum(axis=0, keepdims=True)
        # sum j x is per block (j from the block start): refer it to the window start.
        win[0, :, n_x] += 1j * (self._ring_offsets[start_slot] @ ring_f[:, :, n_x].real)
        return self._window_outputs(
            win, self._ring_e[None], np.array([t_end]), start_slot, (self.plan.n - 1) / 2
        )

    def _push_blocks(self, data: FloatArray, ts: FloatArray) -> BandPowerWindows:
        """Several blocks at once (a file, or a large chunk): vectorised over windows."""
        plan = self.plan
        hop, nbw = plan.hop, plan.n_blocks
        nb = data.shape[0] // hop
        n_old = min(nbw - 1, self._n_blocks_done)
        # The run: the last n_old blocks from the ring, in time order, then the new ones.
        old = (self._n_blocks_done - n_old + np.arange(n_old)) % nbw
        feats = np.zeros((n_old + nb, *self._ring_f.shape[1:]), dtype=complex)
        ext = np.empty((n_old + nb, *self._ring_e.shape[1:]))
        feats[:n_old] = self._ring_f[old]
        ext[:n_old] = self._ring_e[old]
        t_end = np.concatenate([self._ring_t[old], ts[hop - 1 :: hop]])
        slot0 = self._n_blocks_done % nbw
        self._block_features(data, feats[n_old:], ext[n_old:], slot0)
        first_block = self._n_blocks_done - n_old
        self._n_blocks_done += nb
        keep = np.arange(max(0, nb - nbw), nb) + n_old
        slots = (first_block + keep) % nbw
        self._ring_f[slots] = feats[keep]
        self._ring_e[slots] = ext[keep]
        self._ring_t[slots] = t_end[keep]
        n_run = n_old + nb
        n_w = n_run - nbw + 1
        if n_w <= 0:
            return self._empty
        n_x = feats.shape[2] - 2
        # sum j x is per block (j from the block start): refer it to the run start,
        # then window sums as differences of cumulative sums.
        sx = feats[:, :, n_x]
        sx.imag += (np.arange(n_run) * float(hop))[:, None] * sx.real
        csum = np.cumsum(feats, axis=0)
        win = csum[nbw - 1 :].copy()
        win[1:] -= csum[: n_w - 1]
        ev = np.moveaxis(sliding_window_view(ext, nbw, axis=0), -1, 1)
        start_slot = (first_block + np.arange(n_w)) % nbw
        centre = (np.arange(n_w) * float(hop) + (plan.n - 1) / 2)[:, None]
        return self._window_outputs(win, ev, t_end[nbw - 1 :], start_slot, centre)

    def _window_outputs(
        self,
        win: ComplexArray,
        ev: FloatArray,
        t_end: FloatArray,
        start_slot: int | NDArray[np.int64],
        centre: float | FloatArray,
    ) -> BandPowerWindows:
        """Band powers and statistics of windows from the sums of their blocks.

        ``win`` ``(n_w, ch, n_ext + 2)``: per window the sum of its blocks' features,
        with sum j x referred to the point ``centre - (n - 1) / 2``; ``ev`` ``(n_w,
        n_blocks, 2, 2 ch)``: the extremes of its blocks. Shared by the live case
        (one window) and the vectorised one (many).
        """
        plan = self.plan
        n, ch = plan.n, self.n_channels
        n_w = win.shape[0]
        n_x = win.shape[2] - 2
        many = not isinstance(start_slot, int)
        rq = plan.rho_q[start_slot][:, None, None] if many else complex(plan.rho_q[start_slot])
        spec_sum = win[:, :, :n_x]
        # Hann window as three neighbouring bins; rho turns the segment origin to the window's.
        spec = 0.5 * spec_sum[:, :, 1:-1]
        spec -= np.conj(rq) * spec_sum[:, :, :-2]
        spec -= rq * spec_sum[:, :, 2:]
        # Linear detrend: subtract the Hann-windowed DFT of the least-squares line.
        x_sum = win[:, :, n_x].real
        slope = (win[:, :, n_x].imag - centre * x_sum) * (1.0 / plan.ramp_norm)
        spec -= slope[:, :, None] * plan.trend_ramp[start_slot][..., None, :]
        mean = x_sum * (1.0 / n)
        if plan.trend_dc is not None:
            spec -= mean[:, :, None] * plan.trend_dc[start_slot][..., None, :]
        sq = spec.view(float)
        sq *= sq
        bands = sq @ plan.band_matrix  # (n_w, ch, 4): theta, alpha, total, line in uV^2
        total = bands[:, :, 2:3]
        if not total.min() > 0:
            total[~(total > 0)] = np.nan  # a flat window has no relative power
        rel = bands[:, :, :2] / total
        var = win[:, :, n_x + 1].real * (1.0 / n) - mean * mean
        n_bad = win[:, :, n_x + 1].imag
        if n_bad.any():
            bad = n_bad > 0.5
            rel[bad] = np.nan
            bands[bad] = np.nan
        peak = ev[:, :, 0].max(axis=1)  # (n_w, 2 ch): max, then -min
        at_peak = ((ev[:, :, 0] == peak[:, None]) * ev[:, :, 1]).sum(axis=1)
        vmax, neg_vmin = peak[:, :ch], peak[:, ch:]
        return BandPowerWindows(
            t=t_end,
            rel_theta=rel[:, :, 0],
            rel_alpha=rel[:, :, 1],
            total=bands[:, :, 2],
            line=bands[:, :, 3] if plan.has_line else np.full((n_w, ch), np.nan),
            ptp=vmax + neg_vmin,
            std=np.sqrt(np.maximum(var, 0.0)),
            max_abs=np.maximum(vmax + self._offset, neg_vmin - self._offset),
            extreme_share=np.maximum(at_peak[:, :ch], at_peak[:, ch:]) * (1.0 / n),
            n_bad=np.round(n_bad),
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
