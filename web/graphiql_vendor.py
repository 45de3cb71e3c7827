"""Re-fetches GraphiQL's assets into ``web/static/graphiql/``, each checked against its
integrity hash.

``python -m web.graphiql_vendor``: for every ``https://unpkg.com/<package>@<version>/<file>``
that Strawberry's GraphiQL page references, ``npm pack`` downloads that exact package version from
the npm registry, the referenced file is taken out of the tarball, and it is written only when its
sha384 equals the page's ``integrity`` attribute, so a tampered or mismatched file never lands in
the repository. Needs ``npm`` and network; the server itself never fetches anything.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from web.graphiql import ASSET_DIR, CDN, referenced_assets, sri_sha384

_PACKAGE_PATH = re.compile(r"(@?[^@/]+(?:/[^@/]+)?)@([^/]+)/(.+)")


def vendor(target: Path = ASSET_DIR) -> list[Path]:
    """Writes every referenced asset under ``target``; raises on a hash mismatch."""
    written = []
    with tempfile.TemporaryDirectory(prefix="graphiql-vendor-") as work:
        for asset in referenced_assets():
            package, version, file = _split(asset.path)
            tarball = _npm_pack(f"{package}@{version}", Path(work))
            with tarfile.open(tarball) as archive:
                member = archive.extractfile(f"package/{file}")
                if member is None:
                    raise RuntimeError(f"{package}@{version} has no {file}")
                content = member.read()
            if sri_sha384(content) != asset.integrity:
                raise RuntimeError(
                    f"{CDN}{asset.path}: sha384 {sri_sha384(content)} is not {asset.integrity}"
                )
            destination = target / asset.path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            written.append(destination)
    return written


def _split(path: str) -> tuple[str, str, str]:
    """``@scope/name@1.0.2/dist/x.js`` → (``@scope/name``, ``1.0.2``, ``dist/x.js``)."""
    match = _PACKAGE_PATH.fullmatch(path)
    if match is None:
        raise RuntimeError(f"not a <package>@<version>/<file> path: {path}")
    package, version, file = match.groups()
    return package, version, file


def _npm_pack(spec: str, directory: Path) -> Path:
    # npm from PATH, as a developer runs it; the spec comes from the installed page.
    command = ["npm", "pack", spec, "--silent", "--pack-destination", str(directory)]
    done = subprocess.run(  # noqa: S603
        command,
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    )
    return directory / done.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    for path in vendor():
        print(path, file=sys.stderr)
