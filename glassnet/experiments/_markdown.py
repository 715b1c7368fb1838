"""A tiny Markdown-to-HTML converter for the experiments' README files.

It covers what the READMEs use: ATX headings (``#`` .. ``######``), paragraphs, ``-``/``*``
and ``1.`` lists (one level), fenced code blocks, pipe tables with a ``|---|`` separator
row, and inline ``**bold**``, ``*italic*``, ```code```, ``[links](url)`` and
``![images](src)`` (linked to themselves). Everything else is escaped text. No network, no JavaScript.
"""
from __future__ import annotations

import html
import re

__all__ = ["markdown_to_html"]

_CODE = re.compile(r"`([^`]+)`")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ULIST = re.compile(r"^\s*[-*+]\s+(.*)$")
_OLIST = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _inline(text: str, image_src=None) -> str:
    """Escape ``text`` and render its inline markup; code spans are left verbatim."""
    spans = []

    def keep(html_text):
        spans.append(html_text)
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE.sub(lambda m: keep(f"<code>{html.escape(m.group(1))}</code>"), text)

    def image(m):
        src = m.group(2) if image_src is None else image_src(m.group(2))
        src = html.escape(src)  # the image links to itself: full size on a click
        return keep(f'<a href="{src}"><img src="{src}" alt="{html.escape(m.group(1))}"></a>')

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(lambda m: keep(f'<a href="{html.escape(m.group(2))}">'
                                    f"{html.escape(m.group(1))}</a>"), text)
    text = html.escape(text, quote=False)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


def _cells(row: str) -> list:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [c.strip() for c in row.split("|")]


def markdown_to_html(text: str, image_src=None, heading_offset: int = 0) -> str:
    """Render Markdown ``text`` as an HTML fragment.

    Parameters
    ----------
    image_src : callable, optional
        Maps each image's source (e.g. to prefix a folder); default unchanged.
    heading_offset : int
        Added to every heading level (capped at 6), to nest a document in a page.
    """
    lines = text.splitlines()
    out, para = [], []
    i = 0

    def flush():
        if para:
            out.append(f"<p>{_inline(' '.join(para), image_src)}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        if line.lstrip().startswith("```"):
            flush()
            body = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith("```"):
                body.append(lines[i])
                i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(body))}</code></pre>")
            i += 1
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            level = min(6, len(m.group(1)) + heading_offset)
            out.append(f"<h{level}>{_inline(m.group(2), image_src)}</h{level}>")
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            head = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            th = "".join(f"<th>{_inline(c, image_src)}</th>" for c in head)
            body = "".join("<tr>" + "".join(f"<td>{_inline(c, image_src)}</td>" for c in r)
                           + "</tr>" for r in rows)
            out.append(f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")
            continue
        for pattern, tag in ((_ULIST, "ul"), (_OLIST, "ol")):
            if pattern.match(line):
                flush()
                items = []
                while i < len(lines) and lines[i].strip():
                    m = pattern.match(lines[i])
                    if m:
                        items.append(m.group(1))
                    elif lines[i].startswith((" ", "\t")) and items:  # a wrapped item
                        items[-1] += " " + lines[i].strip()
                    else:
                        break
                    i += 1
                lis = "".join(f"<li>{_inline(it, image_src)}</li>" for it in items)
                out.append(f"<{tag}>{lis}</{tag}>")
                break
        else:
            para.append(line.strip())
            i += 1
    flush()
    return "\n".join(out)
