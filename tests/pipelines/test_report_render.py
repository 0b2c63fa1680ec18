"""report.html renders in headless Chromium into a page that is not blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.report import build_report

CHROMIUM = "/usr/bin/chromium"


def _chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        pytest.skip("headless check needs chromium: /usr/bin/chromium is missing and apt-get is not available")
    try:  # a fresh machine has no package lists yet: update once, then install
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"headless check needs chromium: `apt-get install -y chromium` failed ({exc})")
    if not Path(CHROMIUM).exists():
        pytest.skip("headless check needs chromium: apt-get ran but /usr/bin/chromium is still missing")
    return CHROMIUM


@pytest.mark.e2e
def test_report_html_renders_not_blank(store, tiny_model_dir, tmp_path):
    import matplotlib.image as mpimg
    from training.base import base_model

    base, _ = base_model(store, "hp", str(tiny_model_dir))
    with store.create("evaluate", "hp", "ev1", parents={"base": base.version}, settings={}, code_version="t") as st:
        st.write("metrics", [
            {"target": "hp", "model_role": "base", "model_version": base.version, "metric": m, "value": v, "n": 10,
             "evaluate_version": "ev1", "method": None}
            for m, v in (("familiarity_completion_test", 0.3), ("general_perplexity", 9.5), ("knowledge_accuracy", 0.6))])
    html = build_report(store, "hp") / "report.html"
    png = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1200,2000",
           html.resolve().as_uri()]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert png.exists(), f"chromium wrote no screenshot (rc {result.returncode}): {result.stderr[-800:]}"
    pixels = mpimg.imread(png)[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels.std() > 0.05  # a blank page is one colour
    dark = (pixels.mean(-1) < 0.5).mean()
    assert 0.005 < dark < 0.5  # some text and plot ink, not a black page
