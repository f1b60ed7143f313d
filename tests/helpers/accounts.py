"""Staff accounts in tests: the password they use, a form's CSRF token, the first account made
with the setup code (through the test client or a browser), and signing in."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "a long enough password"
# Made by the station's own scrypt code before it used Werkzeug (n=2**14, r=8, p=1, base64 salt and digest)
LEGACY = "scrypt$16384$8$1$3blbwGzqk80NsmFcKQ4m+A==$LTCPUdSv45lkqVhiXNg2uURb/HbfagTZL0f6U85Gfu0="


def csrf_token(client: Any, path: str = "/staff/setup") -> str:
    """The CSRF token in the form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token in the form on {path}"
    return found.group(1)


def create_account(client: Any, app: Any, name: str = "ann") -> None:
    """The first staff account, made with the setup code as staff would; ``client`` is signed in."""
    form = {"csrf_token": csrf_token(client), "setup_code": app.config["SETUP_CODE"], "name": name,
            "password": PASSWORD, "password2": PASSWORD}
    r = client.post("/staff/setup", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def create_account_in_browser(page: Any, url: str, code: str, name: str = "ann") -> None:
    """The same through the setup form in a browser ``page``; it ends signed in on the settings
    (setup lands on the staff home, checked here; most browser tests then begin at the settings)."""
    page.goto(url + "/staff/")
    page.fill("#setup_code", code)
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/home")
    page.goto(url + "/staff/settings")


def sign_in(client: Any, name: str, password: str = PASSWORD) -> None:
    """Sign the test ``client`` in through the sign-in form."""
    r = client.post("/staff/signin", data={"csrf_token": csrf_token(client, "/staff/signin"), "name": name,
                                           "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def sign_in_in_browser(page: Any, url: str, name: str = "ann", then: str | None = None) -> None:
    """Sign in through the form in a browser ``page``; it ends on ``then`` (default: the staff
    home, where a sign-in without a ``next`` lands)."""
    page.goto(url + "/staff/signin" + (f"?next={then}" if then else ""))
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**" + (then or "/staff/home"))
