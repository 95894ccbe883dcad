"""The report in a real browser: headless Chromium opens the file with the network off, draws it
(a phone-sized screenshot that is not blank, every key question's heading in the page it built)
and prints it to PDF, a page break before each section.

Skipped, saying why, only when Chromium is not installed (.ci/run installs Debian's package).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session

from bot.core.config import AppConfig
from bot.reports import views
from bot.reports.model import Period
from bot.reports.service import build_report
from prompts import Renderer
from tests.bot.reports.seed import END, NOW, START, Seeded

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
)
HEADINGS = ["Safe", "Effective", "Caring", "Responsive", "Well-led", "Other figures"]


def _own_network_namespace() -> bool:
    """Whether this machine lets a process have a network of its own (root, unshare allowed)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a file with no network: in a network namespace of its own where
    the machine allows one, and in any case through a proxy that does not exist."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *args,
    ]
    if _own_network_namespace():
        command = ["unshare", "--net", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture
def page(tmp_path: Path, session: Session, org: AppConfig, seeded: Seeded) -> Path:
    report = build_report(
        session, config=org, teams=org.teams, scope="organisation", period=Period(START, END),
        now=NOW,
    )  # fmt: skip
    path = tmp_path / "report.html"
    path.write_text(views.html_document(Renderer(), report), encoding="utf-8")
    return path


def test_the_report_renders_in_a_browser_with_the_network_off(tmp_path: Path, page: Path) -> None:
    shot = tmp_path / "phone.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=390,2400", page.as_uri())
    with Image.open(shot) as image:
        pixels = image.convert("L").resize((78, 480))
        data = list(pixels.tobytes())  # one byte per pixel: its grey level
    inked = sum(1 for value in data if value < 200)
    assert inked > len(data) * 0.02, "the screenshot is (nearly) blank"
    assert len(set(data)) > 20  # text and colour, not a flat error page

    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    for heading in HEADINGS:
        assert re.search(rf"<h2 [^>]*>{heading}</h2>", dom), heading
    assert "<svg" in dom and "Organisation report" in dom


def test_the_report_prints_to_pdf_a_page_per_section(tmp_path: Path, page: Path) -> None:
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 1 + len(HEADINGS), pages  # the first page, then each section on its own
