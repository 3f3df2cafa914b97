"""Video frames in and out, one at a time: an image folder or a video file (OpenCV), a plain
background when there are no images, and writers to a video, a still or a folder of PNGs.

Nothing holds more than one frame: readers decode on demand (a video is read sequentially and
seeks only when asked for a frame out of order), writers encode as they go.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.files import chmod_like_new_file, write_bytes_atomic
from slahmr_opt.io.folder import IMAGE_EXTENSIONS

__all__ = [
    "VIDEO_SUFFIXES",
    "FrameReader",
    "FrameWriter",
    "PlainFrames",
    "open_frames",
]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")
"""Suffixes read (and, for ``.mp4``/``.avi``, written) as video files."""

_FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}
STILL_SUFFIXES = (".png", ".jpg", ".jpeg")


class FrameReader:
    """Frames of an image folder (files sorted by name) or a video file, as BGR uint8 arrays.

    Attributes:
        path: the folder or file.
        num_frames: frames available.
        size: ``(width, height)`` of the frames.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._cap = None
        self._next = 0
        if self.path.is_dir():
            self._files = sorted(
                p
                for p in self.path.iterdir()
                if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
            )
            if not self._files:
                raise InputError(
                    f"{self.path}: no images ({', '.join(IMAGE_EXTENSIONS)}) in the frames folder"
                )
            first = cv2.imread(str(self._files[0]), cv2.IMREAD_COLOR)
            if first is None:
                raise InputError(f"{self._files[0]}: cannot read the image")
            self.num_frames = len(self._files)
            self.size = (int(first.shape[1]), int(first.shape[0]))
        elif self.path.is_file():
            self._files = None
            self._cap = cv2.VideoCapture(str(self.path))
            if not self._cap.isOpened():
                raise InputError(f"{self.path}: OpenCV cannot open this video")
            self.num_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
            self.size = (
                int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            )
            if self.num_frames <= 0 or min(self.size) <= 0:
                raise InputError(f"{self.path}: the video reports no frames or no frame size")
        else:
            raise InputError(f"{self.path}: no such frames folder or video file")

    def __repr__(self) -> str:
        return f"FrameReader({str(self.path)!r}, frames={self.num_frames}, size={self.size})"

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as (H, W, 3) BGR uint8."""
        if not 0 <= index < self.num_frames:
            raise InputError(f"{self.path}: frame {index} asked, it has {self.num_frames} frames")
        if self._files is not None:
            img = cv2.imread(str(self._files[index]), cv2.IMREAD_COLOR)
            if img is None:
                raise InputError(f"{self._files[index]}: cannot read the image")
            return img
        if index != self._next:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = self._cap.read()
        if not ok:
            raise InputError(f"{self.path}: cannot decode frame {index}")
        self._next = index + 1
        return img

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class PlainFrames:
    """A plain light-grey background of a given size, for scenes without images."""

    def __init__(self, size: tuple[int, int], num_frames: int, gray: int = 235) -> None:
        self.path = None
        self.size = (int(size[0]), int(size[1]))
        self.num_frames = int(num_frames)
        self._frame = np.full((self.size[1], self.size[0], 3), gray, dtype=np.uint8)

    def __repr__(self) -> str:
        return f"PlainFrames(size={self.size})"

    def read(self, index: int) -> np.ndarray:
        return self._frame.copy()

    def close(self) -> None:
        pass


def open_frames(path: str | os.PathLike | None, size: tuple[int, int], num_frames: int):
    """A :class:`FrameReader` for ``path``, or :class:`PlainFrames` of ``size`` when None."""
    if path is None:
        return PlainFrames(size, num_frames)
    return FrameReader(path)


class FrameWriter:
    """Writes frames to ``out``: a video (``.mp4``: MPEG-4 part 2, ``.avi``: MJPEG), a single
    still (``.png``/``.jpg``: the first frame only), or a folder of ``frame_<n>.png`` files
    (any other path).

    A video or still is written to a temporary file and renamed when :meth:`close` is called, so
    an interrupted render leaves no partial result; a folder's frames are each written atomically
    and :meth:`done` says which exist already (a rerun skips them).
    """

    def __init__(self, out: str | os.PathLike, fps: float, size: tuple[int, int]) -> None:
        self.out = Path(out)
        self.size = (int(size[0]), int(size[1]))
        suffix = self.out.suffix.lower()
        self.kind = (
            "video" if suffix in _FOURCC else "still" if suffix in STILL_SUFFIXES else "folder"
        )
        if self.kind == "folder" and suffix:
            raise InputError(
                f"{self.out}: unknown output type {suffix!r}; use .mp4, .avi, .png, .jpg or a "
                "folder"
            )
        self._writer = None
        self._tmp: str | None = None
        self.count = 0
        if self.kind == "video":
            self.out.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = tempfile.mkstemp(
                prefix=f".{self.out.stem}.", suffix=self.out.suffix, dir=self.out.parent
            )
            os.close(fd)
            fourcc = cv2.VideoWriter_fourcc(*_FOURCC[suffix])
            self._writer = cv2.VideoWriter(self._tmp, fourcc, float(fps), self.size)
            if not self._writer.isOpened():
                Path(self._tmp).unlink(missing_ok=True)
                raise InputError(f"{self.out}: OpenCV cannot write {suffix} video here")
        elif self.kind == "folder":
            self.out.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FrameWriter({str(self.out)!r}, {self.kind}, size={self.size})"

    def frame_path(self, index: int) -> Path:
        return self.out / f"frame_{index:06d}.png"

    def done(self, index: int) -> bool:
        """Whether frame ``index`` is already written (folders only)."""
        return self.kind == "folder" and self.frame_path(index).is_file()

    def write(self, index: int, image: np.ndarray) -> None:
        """Write frame ``index`` (H, W, 3) BGR uint8."""
        if image.shape[:2] != (self.size[1], self.size[0]):
            raise InputError(f"frame of shape {image.shape} does not match the size {self.size}")
        if self.kind == "video":
            self._writer.write(image)
        elif self.kind == "folder":
            write_bytes_atomic(self.frame_path(index), _encode(image, ".png"))
        elif self.count == 0:
            write_bytes_atomic(self.out, _encode(image, self.out.suffix.lower()))
        self.count += 1

    def close(self) -> Path:
        """Finish the file; returns the output path."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            if self.count == 0:
                Path(self._tmp).unlink(missing_ok=True)
                raise InputError(f"{self.out}: no frames were rendered")
            chmod_like_new_file(self._tmp)
            os.replace(self._tmp, self.out)
        return self.out

    def abort(self) -> None:
        """Drop a partial video (after an error)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)


def _encode(image: np.ndarray, suffix: str) -> bytes:
    ok, buf = cv2.imencode(suffix, image)
    if not ok:
        raise InputError(f"OpenCV cannot encode a {suffix} image")
    return buf.tobytes()
