"""The web console in a real browser: Debian's chromium, headless, driven through chromium-driver by
Selenium. Signs in, registers a cluster, creates a fleet, enables federation and watches it reach
Success, creates a CCE cluster and walks its upgrade through the workflow graph to Success, and checks
that a read-only user sees no write control. Screenshots go to target/console-screenshots/ (or
UCS_CONSOLE_SCREENSHOTS).

Needs `chromium` and `chromium-driver` (Debian packages; .ci/run installs them). Set
UCS_CONSOLE_BROWSER=skip to skip where they cannot be had; otherwise their absence fails the test.
"""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("UCS_CONSOLE_SCREENSHOTS") or REPO / "target" / "console-screenshots")
WAIT = 90  # seconds for workflows run by the server's real workers
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://10.1.2.3:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: browser-test-token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
"""


def _chromedriver():
    return shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)


@pytest.fixture
def browser(server):
    if server.backend != "sqlite":
        pytest.skip("the browser walk runs once, on the sqlite server (the handler tests cover both backends)")
    if os.environ.get("UCS_CONSOLE_BROWSER") == "skip":
        pytest.skip("UCS_CONSOLE_BROWSER=skip")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = _chromedriver()
    if driver_path is None:
        pytest.fail("chromedriver not found: apt-get install chromium chromium-driver (or UCS_CONSOLE_BROWSER=skip)")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1100", "--lang=en-US"):
        options.add_argument(arg)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def shot(driver, name):
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait_for(driver, what, predicate, timeout=WAIT):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5).until(lambda d: predicate(d))
    except Exception as e:
        shot(driver, "failed-" + what.replace(" ", "-"))
        raise AssertionError(f"{what}: not within {timeout}s on {driver.current_url}\n{driver.page_source[:4000]}") from e


def by(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, css)


def all_by(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, css)


def fill(driver, field_id, value):
    el = by(driver, f"#{field_id}")
    el.clear()
    el.send_keys(value)


def choose(driver, field_id, value):
    from selenium.webdriver.support.ui import Select
    Select(by(driver, f"#{field_id}")).select_by_value(value)


def press(driver, label):
    """Clicks the submit button whose text is `label` (the console's buttons are labelled)."""
    from selenium.webdriver.common.by import By
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button[type=submit]") if b.text.strip() == label]
    assert buttons, f"no button {label!r} on {driver.current_url}"
    buttons[0].click()


def sign_in(driver, server, account, user, password):
    driver.get(server.url + "/console/login")
    fill(driver, "account", account)
    fill(driver, "user", user)
    fill(driver, "password", password)
    # Keyboard: Enter in the password field submits the form.
    from selenium.webdriver.common.keys import Keys
    by(driver, "#password").send_keys(Keys.ENTER)
    wait_for(driver, "signed in", lambda d: "Sign out" in d.page_source)


def test_a_tenant_drives_fleets_federation_and_an_upgrade_in_a_browser(server, tenant, browser):
    d = browser
    # Every field of the sign-in form has a label.
    d.get(server.url + "/console/login")
    for field in all_by(d, "input:not([type=hidden])"):
        assert all_by(d, f"label[for='{field.get_attribute('id')}']"), field.get_attribute("name")
    shot(d, "01-sign-in")
    sign_in(d, server, tenant.domain_name, tenant.user_name, tenant.password)
    shot(d, "02-overview-quotas")

    # Register an attached cluster; it activates.
    d.get(server.url + "/console/clusters")
    fill(d, "r-name", "web-1")
    choose(d, "r-category", "attachedcluster")
    fill(d, "r-type", "eks")
    fill(d, "r-provider", "aws")
    by(d, "#r-kubeconfig").send_keys(KUBECONFIG)
    press(d, "Register")
    wait_for(d, "cluster page", lambda d: "Cluster web-1" in d.page_source)
    wait_for(d, "cluster available", lambda d: "badge ok\">Available" in d.page_source)
    assert "browser-test-token" not in d.page_source, "no secret is rendered"
    shot(d, "03-cluster-detail")

    # A fleet, the cluster joins it, federation is enabled and reaches Success live (no reloads).
    d.get(server.url + "/console/fleets")
    fill(d, "fl-name", "prod")
    fill(d, "fl-desc", "production")
    press(d, "Create fleet")
    wait_for(d, "fleet page", lambda d: "Fleet prod" in d.page_source)
    choose(d, "join-cluster", by(d, "#join-cluster option").get_attribute("value"))
    press(d, "Join fleet")
    wait_for(d, "member listed", lambda d: "joined the fleet" in d.page_source and "web-1" in d.page_source)
    press(d, "Enable federation")
    wait_for(d, "federation enabling", lambda d: "being enabled" in d.page_source)
    wait_for(d, "federation available (live)",
             lambda d: "badge ok\">Available" in by(d, "#federation-live").get_attribute("innerHTML"))
    tree = by(d, "#federation-live").get_attribute("innerHTML")
    assert "badge ok\">Success" in tree, tree
    shot(d, "04-federation-success")
    d.get(server.url + "/console/clusters")
    shot(d, "05-clusters")

    # A CCE cluster; its upgrade walked through the workflow graph to Success.
    d.get(server.url + "/console/cce")
    fill(d, "c-name", "cce-1")
    choose(d, "c-kind", "cce")
    fill(d, "c-version", "v1.28")  # the newest version has nothing to upgrade to
    press(d, "Create cluster")
    wait_for(d, "cce cluster page", lambda d: "cluster cce-1" in d.page_source)
    wait_for(d, "cce cluster available", lambda d: "badge ok\">Available" in d.page_source, timeout=WAIT)
    d.refresh()  # the upgrade form appears once the cluster is Available
    wait_for(d, "upgrade form", lambda d: all_by(d, "#wf-target"))
    shot(d, "06-cce-cluster")
    press(d, "Create upgrade workflow")
    wait_for(d, "workflow graph", lambda d: all_by(d, "svg.graph"))
    for label, point in [("Run precheck", "PreCheck"), ("Take snapshot", "Snapshot"),
                         ("Upgrade cluster", "Cluster"), ("Run postcheck", "PostCheck")]:
        wait_for(d, f"button {label}", lambda d: any(b.text.strip() == label for b in all_by(d, "button[type=submit]")))
        press(d, label)
        wait_for(d, f"{point} succeeded (live graph)",
                 lambda d: all_by(d, f"svg.graph g.node.ok[data-point='{point}']"))
        if point == "Cluster":
            shot(d, "07-upgrade-graph-critical-line")
    wait_for(d, "workflow success", lambda d: "Workflow phase: <span class=\"badge ok\">Success" in d.page_source)
    shot(d, "08-upgrade-workflow-success")
    d.get(server.url + "/console/audit")
    assert "cce:cluster:upgrade" in d.page_source
    shot(d, "09-audit-log")

    # Sign out: the session ends.
    press(d, "Sign out")
    wait_for(d, "signed out", lambda d: "/console/login" in d.current_url)
    d.get(server.url + "/console/clusters")
    assert "Sign in required" in d.page_source

    # A read-only user sees no write control anywhere it can go.
    viewer = server.admin("user", "create", "--tenant", tenant.domain_name, "--name", "viewer",
                          "--role", "UCS ReadOnlyAccess")
    server.secrets.append(viewer["password"])
    sign_in(d, server, tenant.domain_name, "viewer", viewer["password"])
    pages = ["/console", "/console/clusters", "/console/fleets", "/console/rules", "/console/cce", "/console/audit"]
    d.get(server.url + "/console/clusters")
    pages += [a.get_attribute("href").replace(server.url, "") for a in all_by(d, "main table a")]
    d.get(server.url + "/console/cce")
    pages += [a.get_attribute("href").replace(server.url, "") for a in all_by(d, "main table a")]
    for page in pages:
        d.get(server.url + page)
        forms = [f for f in all_by(d, "main form[method=post]")]
        assert not forms, f"{page}: the read-only user sees write controls: {[f.get_attribute('action') for f in forms]}"
    d.get(server.url + "/console/fleets")
    shot(d, "10-read-only-fleets")

    # The platform operator: every tenant's usage and the job engine, and nothing of a tenant's.
    press(d, "Sign out")
    wait_for(d, "signed out", lambda d: "/console/login" in d.current_url)
    ops = server.admin("operator", "create", "--name", "ops")
    server.secrets.append(ops["password"])
    sign_in(d, server, "ucsd.platform", "ops", ops["password"])
    assert tenant.domain_name in d.page_source, "the tenants page lists the tenant"
    shot(d, "11-operator-tenants")
    d.get(server.url + "/console/operator/jobs?kind=federation.enable")
    wait_for(d, "the federation workflow listed", lambda d: "federation.enable" in by(d, "#jobs-live").text)
    shot(d, "12-operator-job-engine")
    by(d, "#jobs-live table:last-of-type tbody a").click()
    wait_for(d, "the workflow's steps", lambda d: "InstallFederationChart" in d.page_source)
    shot(d, "13-operator-job")
    d.get(server.url + "/console/clusters")
    assert "Not allowed" in d.page_source, "an operator reads no tenant's resources"
