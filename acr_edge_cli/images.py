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


# Docker's reference grammar (distribution/reference), which `docker pull` and edgeAgent's
# Docker client apply: lowercase path components separated by `.`, `_`, `__` or dashes, a
# tag of up to 128 word characters, a digest algorithm:hex of 32+ digits.
_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?"
)
_UPSTREAM = re.compile(r"\$upstream:[0-9]+")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"\w[\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}")
#: Docker refuses names (host and path) longer than this.
NAME_LIMIT = 255


def reference_problem(image: str) -> str | None:
    """What breaks Docker's reference grammar in `image`, or None when it is valid."""
    reference = parse_image(image)
    if reference is None:
        return "it does not have the shape [host[:port]/]path[:tag][@digest]"
    host = reference.host
    if host is not None and not (_UPSTREAM.fullmatch(host) or _DOMAIN.fullmatch(host)):
        return f"registry {host!r} is not a host name with an optional port"
    for component in reference.repository.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            if _PATH_COMPONENT.fullmatch(component.lower()):
                return f"repository {reference.repository!r} must be lowercase"
            return (
                f"repository part {component!r} may hold only lowercase letters, digits and "
                "single separators (., _, __, -)"
            )
    name = f"{host}/{reference.repository}" if host else reference.repository
    if len(name) > NAME_LIMIT:
        return f"the name is {len(name)} characters; Docker allows {NAME_LIMIT}"
    if reference.tag is not None and not _TAG.fullmatch(reference.tag):
        return (
            f"tag {reference.tag!r} must be 1-128 letters, digits, _, . or -, "
            "not starting with . or -"
        )
    if reference.digest is not None and not _DIGEST.fullmatch(reference.digest):
        return f"digest {reference.digest!r} is not algorithm:hex (32 or more hex digits)"
    return None


def version_of(reference: ImageReference | None) -> tuple[int, ...] | None:
    """The version an image's tag names (`1.1`, `0.9.0-linux-arm64v8` -> (0, 9, 0)); None
    for `latest`, a digest, a placeholder or no tag."""
    if reference is None or reference.tag is None:
        return None
    match = re.match(r"v?(\d+(?:\.\d+)*)", reference.tag)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None
