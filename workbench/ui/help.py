"""Help -> User guide: the MkDocs-built guide (``workbench.userguide``) read inside the app.

The window lists the guide's pages (from the built site's search index, in the guide's order), has a
search field over every section, and shows a page's article in a ``QTextBrowser`` (the theme's
navigation, header and scripts left out: a QTextBrowser renders HTML 4 and a little CSS).
"Open in browser" opens the full page from the disk in the system's browser (search included).
When the guide was not built at set-up, the first Help builds it in the background; without MkDocs
it shows the Markdown pages of ``docs/`` as they are.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSplitter, QTextBrowser, QVBoxLayout)

from workbench.ui.job_runner import JobRunner

PAGE_ROLE = Qt.ItemDataRole.UserRole
# the panels whose page is not named after their title
PANEL_PAGES = {"Use": "panels/use.md", "Experiments": "panels/experiments.md", "Home": "panels/home.md"}
STYLE = ("body { font-size: 10.5pt; } h1 { font-size: 17pt; } h2 { font-size: 14pt; margin-top: 14px; }"
         " h3 { font-size: 12pt; } code { background: #f2f2f2; } pre { background: #f5f5f5; }"
         " table { border-collapse: collapse; } td, th { padding: 3px 6px; border: 1px solid #ccc; }")
_ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*?)</article>', re.S)
_DROP = (re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S), re.compile(r"<svg.*?</svg>", re.S),
         re.compile(r"<script.*?</script>", re.S))


def page_for_panel(title: str) -> str:
    """The guide page (a path under docs/) that a panel's "?" opens."""
    if title in PANEL_PAGES:
        return PANEL_PAGES[title]
    from workbench.ui.panels import panel_slug

    return f"panels/{panel_slug(title)}.md"


def article_html(page_file: Path, image_width: int = 0) -> str:
    """The article of a built page, as HTML a QTextBrowser renders (the whole file if none);
    pictures are shown ``image_width`` pixels wide (0: as they are)."""
    text = page_file.read_text(encoding="utf-8", errors="replace")
    m = _ARTICLE.search(text)
    body = m.group(1) if m else text
    for pat in _DROP:
        body = pat.sub("", body)
    if image_width > 0:  # screenshots are 1280 px wide: fit them to the window
        body = re.sub(r"<img (?![^>]*width=)", f'<img width="{image_width}" ', body)
    return f"<html><head><style>{STYLE}</style></head><body>{body}</body></html>"


def site_pages(site: Path) -> list[dict]:
    """[{"title", "location", "text"}] of every page and section, in the guide's order."""
    try:
        docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8")).get("docs", [])
    except (OSError, ValueError):
        docs = []
    out = []
    for d in docs:
        loc = str(d.get("location", ""))
        out.append({"title": html.unescape(re.sub(r"<[^>]+>", "", str(d.get("title", ""))) or loc),
                    "location": loc, "text": str(d.get("text", ""))})
    return out


_NAV_LINK = re.compile(r'<a href="([^"#]+?\.html)" class="md-nav__link[^"]*"[^>]*>(.*?)</a>', re.S)


def site_nav(site: Path) -> list[tuple[str, str]]:
    """[(title, page)] in the guide's navigation order, read from its start page's menu (the
    search index's pages, when the theme has no such menu)."""
    try:
        text = (site / "index.html").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    out, seen = [], set()
    for m in _NAV_LINK.finditer(text):
        page = m.group(1)
        if page not in seen:
            seen.add(page)
            out.append((html.unescape(" ".join(re.sub(r"<[^>]+>", " ", m.group(2)).split())) or page, page))
    return out or [(d["title"], d["location"] or "index.html") for d in site_pages(site) if "#" not in d["location"]]


class HelpWindow(QDialog):
    """The user guide in a window of its own (not modal: keep it open beside the app).

    Signals:
        page_shown(str)  a page was shown: its path under the guide (``panels/data.html``) or
                         under docs/ (``panels/data.md``) when the guide is not built
    """

    page_shown = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Workbench — User guide")
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.resize(1000, 720)
        self.site: Path | None = None
        self.current: Path | None = None
        self._wanted = "index.md"
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.back_btn = QPushButton("Back")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the guide…")
        self.search.setClearButtonEnabled(True)
        self.browser_btn = QPushButton("Open in browser")
        self.browser_btn.setToolTip("Open this page of the guide in your web browser (from the disk, offline)")
        top.addWidget(self.back_btn)
        top.addWidget(self.search, 1)
        top.addWidget(self.browser_btn)
        lay.addLayout(top)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.hide()
        lay.addWidget(self.status)
        split = QSplitter()
        self.pages = QListWidget()
        self.pages.setMinimumWidth(180)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        split.addWidget(self.pages)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 770])
        lay.addWidget(split, 1)
        self.history: list[Path] = []
        self.jobs = JobRunner(self, status=None)
        self.jobs.job_failed.connect(self._build_failed)
        self.text.anchorClicked.connect(self._on_link)
        self.pages.itemClicked.connect(self._on_item)
        self.search.textChanged.connect(self._filter)
        self.back_btn.clicked.connect(self.back)
        self.browser_btn.clicked.connect(self.open_in_browser)

    # -- finding / building the guide --------------------------------------------------------------
    def open_page(self, page: str = "index.md") -> None:
        """Show ``page`` (a path under docs/, ``panels/data.md``; "#anchor" allowed)."""
        from workbench.userguide import find_site

        self._wanted = page or "index.md"
        if self.isVisible() and QGuiApplication.platformName() != "offscreen":  # bring it to the front
            self.raise_()
            self.activateWindow()
        self.show()
        if self.site is None:
            self.site = find_site()
            if self.site is not None:
                self._fill_pages()
        if self.site is not None:
            self._show_built(self._wanted)
        elif not self.jobs.busy:
            self._build()

    def _build(self) -> None:
        from workbench.userguide import build_guide, build_target

        self._say("Building the user guide from docs/ (once, a few seconds)…")
        self.text.setHtml("<p>Building the user guide…</p>")
        self.jobs.start(build_guide, build_target(), on_result=self._built)

    def _built(self, site) -> None:
        self.site = Path(site)
        self._say("")
        self._fill_pages()
        self._show_built(self._wanted)

    @Slot(str)
    def _build_failed(self, message: str) -> None:
        """No MkDocs (or a broken page): show the Markdown of docs/ as it is."""
        self._say(message)
        self._show_markdown(self._wanted)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _fill_pages(self) -> None:
        self.pages.clear()
        self._index = site_pages(self.site)
        for title, page in site_nav(self.site):
            it = QListWidgetItem(title)
            it.setData(PAGE_ROLE, page)
            self.pages.addItem(it)

    # -- showing pages -----------------------------------------------------------------------------
    def _show_built(self, page: str) -> None:
        from workbench.userguide import page_html

        path = page_html(self.site, page)
        anchor = page.split("#", 1)[1] if "#" in page else ""
        if not path.is_file():
            self._say(f"The guide has no page {page}; showing its start.")
            path = self.site / "index.html"
        self._show_file(path, anchor)

    def _show_file(self, path: Path, anchor: str = "", remember: bool = True) -> None:
        if remember and self.current is not None and self.current != path:
            self.history.append(self.current)
        self.current = path
        self.text.document().setBaseUrl(QUrl.fromLocalFile(str(path)))
        self.text.setHtml(article_html(path, min(900, max(200, self.text.viewport().width() - 40))))
        if anchor:
            self.text.scrollToAnchor(anchor)
        rel = path.relative_to(self.site).as_posix() if self.site else path.name
        for i in range(self.pages.count()):
            if self.pages.item(i).data(PAGE_ROLE) == rel:
                self.pages.setCurrentRow(i)
        self.back_btn.setEnabled(bool(self.history))
        self.page_shown.emit(rel)

    def _show_markdown(self, page: str) -> None:
        from workbench.userguide import docs_dir

        path = docs_dir() / page.split("#", 1)[0]
        if not path.is_file():
            path = docs_dir() / "index.md"
        self.current = None
        self.text.setSource(QUrl.fromLocalFile(str(path)))
        self.page_shown.emit(path.relative_to(docs_dir()).as_posix())

    @Slot(QUrl)
    def _on_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        if self.current is None:  # the Markdown fallback: let the browser follow it
            self.text.setSource(url)
            return
        target = self.current.parent / url.path() if url.path() else self.current
        target = target.resolve()
        if url.path() == "" and url.fragment():
            self.text.scrollToAnchor(url.fragment())
        elif target.suffix == ".html" and target.is_file():
            self._show_file(target, url.fragment())
        elif target.is_file():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    @Slot(QListWidgetItem)
    def _on_item(self, item: QListWidgetItem) -> None:
        loc = str(item.data(PAGE_ROLE))
        page, _, anchor = loc.partition("#")
        if self.site is not None:
            self._show_file(self.site / (page or "index.html"), anchor)

    @Slot(str)
    def _filter(self, text: str) -> None:
        """List the pages and sections whose title or text has every word typed."""
        words = text.lower().split()
        if self.site is None:
            return
        if not words:
            self._fill_pages()
            return
        self.pages.clear()
        for d in self._index:
            hay = (d["title"] + " " + d["text"]).lower()
            if all(w in hay for w in words):
                it = QListWidgetItem(d["title"] if "#" not in d["location"] else "   " + d["title"])
                it.setData(PAGE_ROLE, d["location"] or "index.html")
                self.pages.addItem(it)

    def back(self) -> None:
        if self.history:
            self._show_file(self.history.pop(), remember=False)

    def open_in_browser(self) -> bool:
        target = self.current or (self.site / "index.html" if self.site else None)
        return bool(target) and QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def shutdown(self) -> None:
        self.jobs.shutdown()


