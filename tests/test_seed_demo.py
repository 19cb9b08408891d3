"""`seed_demo` prints a short summary with the demo logins, not the mails its invoices would send (the
development console mail backend printed thousands of lines of base64 PDF)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)  # the mails go out after each commit, as in a real run
def test_seed_demo_prints_a_short_summary_and_no_mail(settings, capsys, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as in development
    out = io.StringIO()

    call_command("seed_demo", "--port", "8100", stdout=out)

    printed = out.getvalue() + capsys.readouterr().out
    assert "Content-Transfer-Encoding" not in printed and "base64" not in printed
    assert len(printed.splitlines()) < 40
    assert "Demo data ready. Sign in with password 'demo':" in printed
    assert "Smart Austria — http://at.localhost:8100/" in printed
    assert "Smart Germany — http://de.localhost:8100/" in printed
    assert re.search(r"member@smart-at\.example\s+member\n", printed)
    assert re.search(r"finance@smart-de\.example\s+finance  \(TOTP\)\n", printed)
    assert "JBSWY3DPEHPK3PXP" in printed
    assert re.search(r"\d+ e-mail\(s\) the demo data would have sent were not sent\.", printed)


def test_make_run_takes_a_port() -> None:
    makefile = Path(settings.BASE_DIR) / "Makefile"
    plan = subprocess.run(
        ["make", "-n", "-f", str(makefile), "run", "PORT=8100", "UV=true", "PY=python"],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    ).stdout
    assert "runserver 0.0.0.0:8100" in plan
    assert "seed_demo --port 8100" in plan
