"""The person's silhouette from the landmark model's segmentation output, in its ROI.

The model answers a 256x256 map of logits over the rotated ROI it looked at; the silhouette keeps
that map as probabilities with the ROI, so a caller can ask about frame points without warping the
whole map back into the frame (only ``station analyze`` asks, never the live loop).

    >>> import numpy as np
    >>> from station.pose.roi import Roi
    >>> mask = np.zeros((256, 256)); mask[64:192, 64:192] = 1.0
    >>> s = Silhouette(mask, Roi(100.0, 100.0, 200.0, 0.0, 160.0))
    >>> s.covers(np.array([[100.0, 100.0], [10.0, 10.0]])).tolist()
    [True, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.pose.roi import Roi

PERSON = 0.5  # probability from which a pixel is the person (MediaPipe's own threshold)


@dataclass(frozen=True)
class Silhouette:
    """``mask`` (size, size) probabilities over the ROI; ``roi`` the square it covers."""

    mask: np.ndarray
    roi: Roi

    @property
    def size(self) -> int:
        return int(self.mask.shape[0])

    def to_mask(self, xy: np.ndarray) -> np.ndarray:
        """Frame pixels (N, 2) -> mask pixels (N, 2): the inverse of the ROI's projection."""
        m = self.roi.to_frame
        return np.linalg.solve(m[:2].T, (np.asarray(xy, float) - m[2]).T).T * self.size

    def covers(self, xy: np.ndarray) -> np.ndarray:
        """Which frame points (N, 2) fall on the person."""
        uv = np.floor(self.to_mask(xy)).astype(int)
        inside = (uv >= 0).all(axis=1) & (uv < self.size).all(axis=1)
        out = np.zeros(len(uv), bool)
        u, v = uv[inside, 0], uv[inside, 1]
        out[inside] = self.mask[v, u] >= PERSON
        return out
