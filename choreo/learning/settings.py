"""Settings of the learner (:class:`LearnerSettings`) and those saved with a state.

Part of :mod:`choreo.learning.learner` (which re-exports every public name).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from choreo.config import StrictModel


class LearnerSettings(StrictModel):
    """Knobs of the learner (defaults are the ones benchmarked)."""

    #: Space-filling (scrambled Sobol) latents shown before the model takes over.
    n_initial: int = Field(5, ge=1, le=64)
    #: Candidate latents scored by the acquisition per proposal.
    n_candidates: int = Field(768, ge=16, le=20000)
    #: Shares of the candidates drawn near the best posterior means (local) and from
    #: the plain prior; the rest come through the fine-tuned input layer.
    local_share: float = Field(0.4, ge=0.0, le=1.0)
    prior_share: float = Field(0.2, ge=0.0, le=1.0)
    #: Local candidates: N(z_best, local_step^2) in latent units.
    local_step: float = Field(0.7, gt=0.0)
    #: What the Gaussian process sees of a choreography:
    #:
    #: - "arm": what the whole arm does: each axis's pose, swing and speed
    #:   (:func:`~choreo.learning.motion_features.joint_descriptors`) and the flange's motion
    #:   descriptors (below). With ``lengthscales = "group"``, two kernels added up;
    #:   the fit starts from the flange alone and gives the axes the weight the data
    #:   asks for;
    #: - "motion": the flange's motion descriptors alone (speed, jerkiness, amplitude,
    #:   horizontal and vertical extent, height, repetition, tempo, duration;
    #:   :mod:`choreo.learning.motion_features`); blind to what leaves the flange where it
    #:   is (A6 turns the tool);
    #: - "latent": the search point (latent and edits);
    #: - "both": the search point and the flange's descriptors (with ``"group"``
    #:   lengthscales, a weighted sum of one kernel on each, starting from the
    #:   descriptors alone).
    #:
    #: Descriptors pool what is learned across choreographies that look alike however
    #: they were generated, which is what makes the learner sample efficient.
    surrogate: Literal["latent", "motion", "both", "arm"] = "arm"
    #: Lengthscales of the Gaussian process:
    #:
    #: - "input": one per input column (:class:`~choreo.learning.gaussian_process.ArdGP`),
    #:   with a prior that keeps a column flat until the scores ask for it (a person
    #:   responds to a few of the 27 descriptors);
    #: - "group": one per group of columns named under ``surrogate``
    #:   (:class:`~choreo.learning.gaussian_process.LatentGP`): every descriptor of a
    #:   group weighs alike.
    lengthscales: Literal["input", "group"] = "input"
    #: Centre of the prior of each per-input lengthscale, in units of the input's
    #: spread over the prior's choreographies (long: irrelevant until shown otherwise).
    relevance_lengthscale: float = Field(4.0, gt=0.0)
    #: With per-input lengthscales: the prior centre of the variance of a quadratic
    #: trend on the relevance-scaled descriptors (rank-normal score units squared), so
    #: that a preferred motion with relaxation falling off around it (a bowl) is
    #: extrapolated from a few scores; None: no trend. Ignored with "group".
    quadratic_trend: float | None = Field(0.05, gt=0.0)
    #: Expected-improvement margin, in units of the rank-normal scores.
    xi: float = Field(0.01, ge=0.0)
    #: piBO: the acquisition is multiplied by prior(z) ** (prior_beta / n_observations).
    prior_beta: float = Field(2.0, ge=0.0)
    #: Rank weights exp(-rank / (temperature * n)); rank 0 is the best score.
    rank_temperature: float = Field(0.3, gt=0.0)
    #: Pseudo-count pulling the fine-tuned input layer towards the prior N(0, I).
    prior_pseudocount: float = Field(3.0, ge=0.0)
    #: Proposal spread = fitted spread x inflation (keeps exploring).
    inflation: float = Field(1.5, ge=1.0)
    #: Latents are kept within sqrt(latent_dim) + radius_margin of the origin,
    #: where the generator was trained.
    radius_margin: float = Field(3.0, ge=0.0)
    #: Candidates tried when the best ones fail the safety check.
    max_tries: int = Field(64, ge=1)
    #: Every revisit_every-th proposal after the initial design shows the current
    #: recommendation again: a second score of the choreography believed best tells a
    #: good one from a lucky one. None: never.
    revisit_every: int | None = Field(8, ge=2)
    #: The recommendation is the scored choreography of highest posterior mean minus
    #: this many posterior SDs (rank-normal score units): one lucky score does not
    #: displace a choreography scored well twice. 0: the highest posterior mean.
    recommend_sd_penalty: float = Field(2.0, ge=0.0)
    #: While the recommendation is one of the starts (what relaxed earlier people), a
    #: scored challenger takes its place only when the challenger's lower bound (above)
    #: exceeds the start's posterior mean: the start has the earlier people's evidence
    #: behind it, which this person's few noisy scores alone do not outweigh. Once a
    #: challenger has taken over, the plain rule applies. No effect without starts.
    keep_starts: bool = True
    #: Search also over global motion edits of the decoded choreography (per-axis
    #: amplitude about the mean pose, per-axis offset of the mean pose, tempo), so the
    #: learner can leave the generator's manifold along amplitude, pose and speed.
    edits: bool = True
    #: Edit strengths per unit of the edit coordinate (standard normal a priori):
    #: amplitude factor exp(edit_amplitude * e); offset edit_offset * e of the axis's
    #: range; durations scaled by exp(edit_tempo * e).
    edit_amplitude: float = Field(0.15, ge=0.0)
    edit_offset: float = Field(0.05, ge=0.0)
    edit_tempo: float = Field(0.12, ge=0.0)


#: What a setting was before it existed: a saved state or session without it ran so.
LEGACY_SETTINGS: dict[str, Any] = {
    "edits": False,
    "surrogate": "latent",
    "revisit_every": None,
    "lengthscales": "group",
    "recommend_sd_penalty": 0.0,
    "keep_starts": False,
}


def saved_settings(data: dict[str, Any], where: str) -> LearnerSettings:
    """Learner settings as saved with a learner state or a session, validated.

    A setting missing from ``data`` takes its value from before it existed
    (:data:`LEGACY_SETTINGS`), not today's default, so that what was recorded replays
    with the learner that recorded it.

    Raises
    ------
    ConfigError
        An unknown or invalid setting (named, at ``where``).
    """
    from choreo.config import validate

    legacy = {k: v for k, v in LEGACY_SETTINGS.items() if k not in data}
    return validate(LearnerSettings, {**data, **legacy}, where)
