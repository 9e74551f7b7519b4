"""Page rendering in the seed layout: menu lines, `BREAKING`, the ticker lines, a blank line,
then an article. The HTML form nests the same parts in nav / div.breaking / article."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

MENU_EN = ("News", "  • Politics", "  • Economy", "  • World", "Opinion", "  • Analysis",
           "Videos", "  • Explainers", "  • • LIVE", "In Pictures")
MENU_AR = ("أخبار", "  • سياسة", "  • اقتصاد", "  • العالم", "رأي", "  • تحليل", "فيديو",
           "  • • مباشر", "صور")

ARTICLES_EN = (
    ("Port workers extend strike for a second week",
     "Dock workers said on Monday they would stay off the job until talks on pay resume. "
     "Shipping agents expect delays to spread to inland depots."),
    ("Central bank holds rates, signals caution on inflation",
     "The bank kept its benchmark rate unchanged for a third meeting and said price pressures "
     "were easing more slowly than hoped."),
    ("Regional ministers meet on water sharing deal",
     "Officials from four countries gathered to review a draft agreement on river allocations "
     "ahead of the dry season."),
    ("Farmers count losses after late frost",
     "Growers in the highlands said the cold snap destroyed much of the early fruit harvest, "
     "and asked for emergency support."),
)
ARTICLES_AR = (
    ("وزراء الطاقة يبحثون خطة لتوسيع شبكات الربط الكهربائي",
     "اجتمع الوزراء لمناقشة مشروع ربط إقليمي يهدف إلى تقليل الانقطاعات خلال فصل الصيف."),
    ("المزارعون يحصون خسائرهم بعد موجة صقيع متأخرة",
     "قال مزارعون في المرتفعات إن موجة البرد أتلفت جزءا كبيرا من المحصول المبكر."),
)


@dataclass(frozen=True, slots=True)
class Site:
    """How one source's pages look."""

    name: str
    arabic: bool = False

    @property
    def menu(self) -> tuple[str, ...]:
        return MENU_AR if self.arabic else MENU_EN


def _article(site: Site, hour: int) -> tuple[str, str]:
    pool = ARTICLES_AR if site.arabic else ARTICLES_EN
    return pool[hour % len(pool)]


def render_text(site: Site, lines: list[str] | None, hour: int, date: str) -> str:
    """Plain-text capture; `lines` None means the ticker block is missing from the page."""
    head, para = _article(site, hour)
    out = [site.name, "", *site.menu]
    if lines is not None:
        out += ["BREAKING", *lines]
    out += ["", head, "", f"  • By {site.name} staff", f"  • {date}", "3 Min Read", "", para]
    return "\n".join(out) + "\n"


def render_html(site: Site, lines: list[str] | None, hour: int, date: str) -> str:
    """HTML capture: one <li> per flash inside div.breaking."""
    head, para = _article(site, hour)
    nav = "".join(f"<li>{escape(m.strip(' •'))}</li>" for m in site.menu)
    parts = [f"<!DOCTYPE html><html><head><title>{escape(site.name)}</title></head><body>",
             f"<header><h1>{escape(site.name)}</h1></header><nav><ul>{nav}</ul></nav>"]
    if lines is not None:
        items = "\n".join(f"<li>{escape(line)}</li>" for line in lines)
        parts.append(f'<div class="breaking"><h2>BREAKING</h2><ul>\n{items}\n</ul></div>')
    parts.append(f"<article><h2>{escape(head)}</h2><p>By {escape(site.name)} staff, {date}</p>"
                 f"<p>{escape(para)}</p></article></body></html>")
    return "\n".join(parts)
