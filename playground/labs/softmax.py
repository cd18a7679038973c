"""Softmax and information: the overflow of a naive softmax and the max-subtraction trick, the
over-confidence of large logits, and entropy, cross-entropy and KL divergence of two distributions.

softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ). Computed as written in float32, exp(1000) is inf (float32's
largest number is about 3.4·10³⁸ = exp(88.7)) and the quotient inf/inf is nan; exp(−1000) is 0 and
0/0 is nan. Subtracting max(z) first changes nothing mathematically (the factor exp(−max) cancels)
but puts every exponent at or below 0: the largest term is exp(0) = 1, so the sum lies between 1 and
K and nothing overflows.

Scaling the logits by a factor (1/temperature) makes softmax ever more sure: as the factor grows
the largest logit's probability goes to 1 ("winner takes all"), whatever the logits' gaps.

For distributions p and q over the same K classes: H(p) = −Σ pᵢ log pᵢ, H(p, q) = −Σ pᵢ log qᵢ and
KL(p‖q) = Σ pᵢ log(pᵢ/qᵢ), so H(p, q) = H(p) + KL(p‖q): the cross-entropy a classifier minimises
is the target's own entropy plus how far its prediction is from it. KL ≥ 0, with 0 only when p = q,
and it is infinite when q gives 0 to a class p does not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOGITS = (1000.0, 1001.0, 1002.0)
FACTORS = tuple(float(f) for f in np.logspace(-2, 2, 81))
"""The factors the over-confidence curve is drawn at (0.01 to 100, log-spaced)."""
P = (0.7, 0.2, 0.1)
Q = (0.3, 0.4, 0.3)
MAX_CLASSES = 8
UNITS = {"nats": np.e, "bits": 2.0}
FLOAT32_EXP_LIMIT = float(np.log(np.finfo(np.float32).max))
"""The largest x with exp(x) finite in float32 (about 88.72)."""


def naive_softmax(z, dtype=np.float32) -> np.ndarray:
    """exp(z) / Σ exp(z) exactly as written, in `dtype` (overflow gives inf and nan, quietly)."""
    z = np.asarray(z, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        e = np.exp(z)
        return e / e.sum(dtype=dtype)


def stable_softmax(z, dtype=np.float32) -> np.ndarray:
    """The max-subtraction trick: exp(z − max z) / Σ exp(z − max z), in `dtype`."""
    z = np.asarray(z, dtype=dtype)
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(dtype=dtype)


def _finite_list(values: np.ndarray) -> list:
    """Numbers for JSON: nan and inf as the strings "nan", "inf", "-inf"."""
    return [float(v) if np.isfinite(v) else str(float(v)) for v in np.asarray(values, dtype=np.float64)]


@dataclass
class Overflow:
    """One vector of logits through both softmaxes, in float32."""

    logits: np.ndarray
    exps: np.ndarray          # exp(z) in float32: inf past FLOAT32_EXP_LIMIT
    naive: np.ndarray         # exp(z)/Σexp(z) in float32
    shifted_exps: np.ndarray  # exp(z − max z): every one in (0, 1]
    stable: np.ndarray        # the trick, in float32

    @property
    def naive_fails(self) -> bool:
        return not bool(np.all(np.isfinite(self.naive)))


def overflow(logits=LOGITS) -> Overflow:
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or len(z) < 2:
        raise ValueError("softmax needs at least 2 logits")
    if not np.all(np.isfinite(z)):
        raise ValueError("the logits must be finite numbers")
    z32 = z.astype(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        exps = np.exp(z32)
        shifted = np.exp(z32 - z32.max())
    return Overflow(z, exps, naive_softmax(z32), shifted, stable_softmax(z32))


@dataclass
class Confidence:
    """softmax(factor · z) for a range of factors: the largest probability and the entropy."""

    logits: np.ndarray
    factors: np.ndarray
    probs: np.ndarray         # (len(factors), K)
    max_prob: np.ndarray      # (len(factors),)
    entropy_bits: np.ndarray  # (len(factors),)

    def factor_for(self, level: float) -> float | None:
        """The smallest factor of the sweep at which the largest probability reaches `level`."""
        hit = np.nonzero(self.max_prob >= level)[0]
        return float(self.factors[hit[0]]) if len(hit) else None


def confidence(logits, factors=FACTORS) -> Confidence:
    z = np.asarray(logits, dtype=np.float64)
    f = np.asarray(factors, dtype=np.float64)
    probs = np.array([stable_softmax(k * z, np.float64) for k in f])
    return Confidence(z, f, probs, probs.max(axis=1), np.array([entropy(p, "bits") for p in probs]))


def distribution(weights) -> np.ndarray:
    """Non-negative weights scaled to sum to 1."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) < 2:
        raise ValueError("a distribution needs at least 2 classes")
    if len(w) > MAX_CLASSES:
        raise ValueError(f"at most {MAX_CLASSES} classes")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("the weights must be non-negative numbers")
    total = w.sum()
    if total <= 0:
        raise ValueError("the weights must not all be 0")
    return w / total


def _log(x: np.ndarray, unit: str) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x) / np.log(UNITS[unit])


def entropy(p, unit: str = "bits") -> float:
    """H(p) = −Σ pᵢ log pᵢ (a class with pᵢ = 0 adds 0)."""
    p = np.asarray(p, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * _log(p[nz], unit))) + 0.0   # + 0.0: never print -0


def cross_entropy(p, q, unit: str = "bits") -> float:
    """H(p, q) = −Σ pᵢ log qᵢ: inf when q gives 0 to a class that p does not."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    nz = p > 0
    return float(-np.sum(p[nz] * _log(q[nz], unit))) + 0.0


def kl_divergence(p, q, unit: str = "bits") -> float:
    """KL(p‖q) = Σ pᵢ log(pᵢ/qᵢ): ≥ 0, 0 only when p = q."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    nz = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[nz] * _log(p[nz] / q[nz], unit)))


@dataclass
class Information:
    p: np.ndarray
    q: np.ndarray
    unit: str
    entropy_p: float
    entropy_q: float
    cross_entropy: float       # H(p, q)
    kl: float                  # KL(p‖q)
    kl_reverse: float          # KL(q‖p): not the same (KL is not symmetric)

    def identity_text(self) -> str:
        if not np.isfinite(self.cross_entropy):
            return (f"H(p, q) = ∞ = H(p) {self.entropy_p:.4g} + KL(p‖q) ∞ {self.unit}: q gives probability 0 "
                    f"to a class p does not, and log 0 = −∞")
        return (f"H(p, q) = {self.cross_entropy:.4g} = H(p) {self.entropy_p:.4g} + KL(p‖q) {self.kl:.4g} "
                f"{self.unit}")


def information(p=P, q=Q, unit: str = "bits") -> Information:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    p, q = distribution(p), distribution(q)
    if len(p) != len(q):
        raise ValueError(f"p has {len(p)} classes and q {len(q)}: they need the same classes")
    return Information(p, q, unit, entropy(p, unit), entropy(q, unit), cross_entropy(p, q, unit),
                       kl_divergence(p, q, unit), kl_divergence(q, p, unit))


@dataclass
class SoftmaxLab:
    overflow: Overflow
    factor: float
    scaled: np.ndarray          # softmax(factor · z), stable, float64
    confidence: Confidence
    information: Information

    def as_json(self) -> dict:
        o, c, i = self.overflow, self.confidence, self.information
        return {
            "logits": o.logits.tolist(),
            "float32_exp_limit": FLOAT32_EXP_LIMIT,
            "overflow": {"exp_float32": _finite_list(o.exps), "naive_float32": _finite_list(o.naive),
                         "naive_fails": o.naive_fails, "shifted_exp_float32": _finite_list(o.shifted_exps),
                         "stable_float32": _finite_list(o.stable)},
            "factor": self.factor,
            "softmax_at_factor": self.scaled.tolist(),
            "confidence": {"factors": c.factors.tolist(), "max_prob": c.max_prob.tolist(),
                           "entropy_bits": c.entropy_bits.tolist(),
                           "factor_for_0.99": c.factor_for(0.99)},
            "information": {"p": i.p.tolist(), "q": i.q.tolist(), "unit": i.unit,
                            "entropy_p": i.entropy_p, "entropy_q": i.entropy_q,
                            "cross_entropy": _finite_list([i.cross_entropy])[0], "kl": _finite_list([i.kl])[0],
                            "kl_reverse": _finite_list([i.kl_reverse])[0], "identity": i.identity_text()},
        }


def logits_part(logits=LOGITS, factor: float = 1.0) -> tuple[Overflow, np.ndarray, Confidence]:
    """What the logits and the factor decide (the overflow, softmax(factor·z) and the confidence
    curve), apart from p and q: a bad entry in one half leaves the other to be shown."""
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError("the factor must be a positive number")
    o = overflow(logits)
    return o, stable_softmax(float(factor) * o.logits, np.float64), confidence(o.logits)


def explore(logits=LOGITS, factor: float = 1.0, p=P, q=Q, unit: str = "bits") -> SoftmaxLab:
    """The whole lab for one set of controls."""
    o, scaled, c = logits_part(logits, factor)
    return SoftmaxLab(o, float(factor), scaled, c, information(p, q, unit))
