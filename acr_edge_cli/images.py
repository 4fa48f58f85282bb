"""Container image references as edgeAgent and Docker read them: which part is the registry,
the repository, the tag and the digest, and the `$upstream:<port>` address lower layers pull
through."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


def registry_host(image: str) -> str | None:
    """The registry part of an image reference, as Docker decides it (None for Docker Hub)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("$")):
        return first
    return None


def upstream_address(port: int) -> str:
    return f"$upstream:{port}"


# The reference grammar edgeAgent accepts once `$upstream:<port>` is resolved
# (DockerConfig: `^(?<repo>([^/]*/)*)(?<image>[^/:]+)(?<tag>:[^/:]+)?$`), with an optional
# digest as Docker allows.
_IMAGE = re.compile(
    r"^(?P<path>[^:@\s]+)(?::(?P<tag>[^/:@\s]+))?(?:@(?P<digest>[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+))?$"
)


@dataclass(frozen=True)
class ImageReference:
    host: str | None
    repository: str
    tag: str | None
    digest: str | None


@functools.lru_cache(maxsize=4096)  # a fleet uses few distinct images, on many devices
def parse_image(image: str) -> ImageReference | None:
    """Split `[host[:port]/]path[:tag][@digest]`; None when it does not parse."""
    host = registry_host(image)
    rest = image[len(host) + 1 :] if host is not None else image
    match = _IMAGE.match(rest)
    if not match:
        return None
    path = match.group("path")
    if any(not part for part in path.split("/")):
        return None
    return ImageReference(host, path, match.group("tag"), match.group("digest"))
