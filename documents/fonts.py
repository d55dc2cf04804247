"""The CJK faces documents are set in: the official ones where installed, else named fallbacks.

GB/T 9704 asks for 仿宋 (body), 小标宋 (title), 黑体 (headings) and 宋体 (page numbers).
Government machines have them; elsewhere Debian's Noto CJK faces stand in. Without any
CJK face a PDF would show boxes, so rendering stops with a message naming what to install.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

INSTALL_HINT = "install a CJK font: apt-get install fonts-noto-cjk (or the official 仿宋/小标宋 faces)"

# role -> official faces first, then fallbacks; the first installed one is used
CANDIDATES = {
    "body": ["FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC"],
    "title": ["FZXiaoBiaoSong-B05S", "方正小标宋简体", "方正小标宋_GBK", "STZhongsong", "Noto Serif CJK SC"],
    "heading": ["SimHei", "黑体", "STHeiti", "Noto Sans CJK SC"],
    "page": ["SimSun", "宋体", "STSong", "Noto Serif CJK SC"],
}
# the official title faces (小标宋); any other face standing in for them is set bold, as close
# as a song face comes to 小标宋's heavy strokes
OFFICIAL_TITLE = frozenset(CANDIDATES["title"][:3])
# what Word and WPS should ask for in a DOCX (they substitute on machines without the face)
DOCX_FACES = {"body": "仿宋", "title": "方正小标宋简体", "heading": "黑体", "page": "宋体"}


class MissingDependency(RuntimeError):
    """Something the machine must have to render this format; the message says what to install."""


@dataclass(frozen=True)
class FontSet:
    body: str
    title: str
    heading: str
    page: str
    files: dict[str, str]  # face -> font file, for charts

    @property
    def title_weight(self) -> str:
        """CSS weight of the title and masthead: bold when 小标宋 itself is missing."""
        return "normal" if self.title in OFFICIAL_TITLE else "bold"

    def css_stack(self, role: str) -> str:
        face = getattr(self, role)
        fallback = "Noto Sans CJK SC" if role == "heading" else "Noto Serif CJK SC"
        return f'"{face}", "{fallback}", serif'


@lru_cache(maxsize=1)
def installed_faces() -> dict[str, str]:
    """Family name -> file, for every face fontconfig knows that covers Chinese."""
    if shutil.which("fc-list") is None:
        raise MissingDependency(f"fontconfig (fc-list) is missing: apt-get install fontconfig; {INSTALL_HINT}")
    out = subprocess.run(["fc-list", ":lang=zh", "family", "file"], capture_output=True, text=True,
                         check=False).stdout
    faces: dict[str, str] = {}
    for line in out.splitlines():
        path, _, families = line.partition(": ")
        for family in families.split(","):
            family = family.strip()
            # prefer the regular weight's file for a family
            if family and (family not in faces or "Regular" in path):
                faces[family] = path.strip()
    return faces


def find_fonts() -> FontSet:
    faces = installed_faces()
    if not faces:
        raise MissingDependency(f"no font with Chinese characters is installed; {INSTALL_HINT}")
    chosen = {}
    for role, names in CANDIDATES.items():
        found = next((n for n in names if n in faces), None)
        if found is None:
            found = sorted(faces)[0]  # any CJK face beats boxes
        chosen[role] = found
    return FontSet(files={f: faces[f] for f in set(chosen.values())}, **chosen)
