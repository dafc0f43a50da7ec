"""Source quality of a web evidence item, from the host list in config/source_hosts.yaml."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlparse

from analysis import config
from analysis.errors import InputError

QUALITIES = ("official", "reputable", "weak")
HOST_RX = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")  # a host or a domain suffix (gov.uk)


@lru_cache(maxsize=4)
def _lists(config_dir: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    cfg = config.load_yaml("source_hosts")
    keys = ("official_suffixes", "official_hosts", "reputable_hosts")
    out = []
    for k in keys:
        v = cfg.get(k)
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise InputError(
                config.config_dir() / "source_hosts.yaml",
                k,
                "expected a list of host names",
                "restore config/source_hosts.yaml from the repository",
            )
        for i, x in enumerate(v):
            if not HOST_RX.match(x.lower().strip(".")):
                raise InputError(
                    config.config_dir() / "source_hosts.yaml",
                    f"{k}[{i}]",
                    f"{x!r} is not a host name",
                    "write the host only, without scheme, path or spaces (e.g. bbc.co.uk)",
                )
        out.append(tuple(x.lower().strip(".") for x in v))
    unknown = set(cfg) - set(keys)
    if unknown:
        raise InputError(
            config.config_dir() / "source_hosts.yaml",
            sorted(unknown)[0],
            "unknown key",
            f"allowed keys: {', '.join(keys)}",
        )
    return out[0], out[1], out[2]


def check() -> None:
    """config/source_hosts.yaml is well formed (run at the start of the coding stage)."""
    _lists(str(config.config_dir()))


def _matches(host: str, entry: str) -> bool:
    return host == entry or host.endswith("." + entry)


def quality(url: str) -> str:
    """official | reputable | weak for a URL's host (an unlisted host is weak)."""
    host = (urlparse(url).hostname or "").lower().strip(".").removeprefix("www.")
    suffixes, official, reputable = _lists(str(config.config_dir()))
    if any(_matches(host, e) for e in official) or any(_matches(host, s) for s in suffixes):
        return "official"
    if any(_matches(host, e) for e in reputable):
        return "reputable"
    return "weak"
