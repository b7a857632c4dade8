"""Page shell and HTML building blocks. Every value is escaped here or in reporting.svg."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reporting.svg import esc

# No scripts, no network: the pages must open from a file share or an e-mail attachment.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#212121;
background:#fff}
header{background:#263238;color:#fff;padding:10px 24px}
header a{color:#cfd8dc;margin-right:18px;text-decoration:none;font-weight:600}
header a.here{color:#fff;border-bottom:2px solid #fff}
main{padding:8px 24px 40px;max-width:1400px}
h1{font-size:1.5em;margin:14px 0 4px}h2{font-size:1.2em;margin-top:28px;
border-bottom:1px solid #cfd8dc;padding-bottom:4px}h3{font-size:1.05em;margin-top:20px}
p.meta{color:#607d8b;margin-top:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #cfd8dc;padding:3px 8px;text-align:left;vertical-align:top}
td:first-child a{white-space:nowrap}
th{background:#eceff1}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td,td.fail,span.fail{background:#ffebee}tr.warn td,td.warn,span.warn{background:#fff8e1}
tr.pass td,td.pass,span.pass{background:#e8f5e9}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
color:#fff}.Green{background:#2e7d32}.Amber{background:#f9a825;color:#212121}.Red{background:#c62828}
.none{background:#9e9e9e}.high{background:#c62828}.medium{background:#ef6c00}.low{background:#607d8b}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #cfd8dc;border-radius:6px;padding:8px 14px;min-width:130px}
.card .v{font-size:1.6em;font-weight:700}.card .l{color:#607d8b;font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:24px}.grid>div{flex:0 0 auto}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
svg.chart{max-width:100%;height:auto}
"""


def fmt(value: Any, kind: str = "") -> str:
    """Display text for one value (escaped by the caller)."""
    if value is None:
        return ""
    if kind == "pct" and isinstance(value, int | float | Decimal):
        return f"{float(value):.1%}"
    if kind == "money" and isinstance(value, int | float | Decimal):
        return f"{float(value):,.2f}"
    if kind == "ratio" and isinstance(value, int | float | Decimal):
        return f"{float(value):.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != datetime.min.time()
            else str(value.date())
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return f"{float(value):,.2f}"
    return str(value)


def link(text: str, href: str | None) -> str:
    return f"<a href='{esc(href)}'>{esc(text)}</a>" if href else esc(text)


def badge(text: str | None, css: str | None = None) -> str:
    label = text or "n/a"
    return f"<span class='badge {esc(css or label if text else 'none')}'>{esc(label)}</span>"


def table(
    headers: Sequence[str],
    body: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    row_class: Callable[[int], str] | None = None,
    caption: str = "",
) -> str:
    """A table of pre-rendered (already escaped) cells."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    lines = []
    for i, cells in enumerate(body):
        css = f" class='{esc(row_class(i))}'" if row_class else ""
        tds = "".join(
            f"<td class='num'>{c}</td>" if j in numeric else f"<td>{c}</td>"
            for j, c in enumerate(cells)
        )
        lines.append(f"<tr{css}>{tds}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    if not lines:
        return f"<p class='meta'>{esc(caption + ': ' if caption else '')}none.</p>"
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def cards(items: Sequence[tuple[str, str]]) -> str:
    return (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><div class='v'>{esc(v)}</div><div class='l'>{esc(label)}</div></div>"
            for label, v in items
        )
        + "</div>"
    )


NAV = (
    ("index.html", "Overview"),
    ("compliance.html", "Compliance & data quality"),
    ("portfolio.html", "Portfolio"),
)


def page(title: str, body: str, here: str, depth: int = 0, generated: str = "") -> str:
    prefix = "../" * depth
    here_class = " class='here'"
    nav = "".join(
        f"<a href='{prefix}{href}'{here_class if href == here else ''}>{esc(label)}</a>"
        for href, label in NAV
    )
    meta = f"<p class='meta'>{esc(generated)}</p>" if generated else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<link rel='icon' href='data:,'>"
        f"<title>{esc(title)} · pmo-hub</title><style>{CSS}</style></head><body>"
        f"<header><nav>{nav}</nav></header><main><h1>{esc(title)}</h1>{meta}{body}</main>"
        "</body></html>\n"
    )
