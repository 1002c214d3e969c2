"""Which files of a backup are media: images and videos by extension.

Their sizes (needed to turn the scenes' normalized coordinates into pixels) and a video's frame
count (bounding the frame indices of its frame annotations) come from :mod:`sc_importers.geometry`.
"""

from __future__ import annotations

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jfif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"}
