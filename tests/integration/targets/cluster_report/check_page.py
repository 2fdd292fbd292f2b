# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the status page (playbooks/status.yml -e status_html=...) in a real
headless browser: Chromium's headless shell from Debian (installed by
scripts/bootstrap.sh from scripts/apt-packages-browser.txt).

1. --dump-dom of the page as written: the browser's DOM has a stack row per
   stack, a column per node and each layer's role in its node's column;
2. --dump-dom of a copy with a probe script added at the end: computed
   styles (a started cell is green, a stopped one red), no horizontal
   overflow at 1280 px, the summary before the stacks;
3. --screenshot: a PNG of the window's size.

Fails when no browser is installed: the page is part of the product and CI
must open it. Usage: check_page.py PAGE WORKDIR
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from html import unescape

BROWSERS = ("chromium-headless-shell", "chromium")
WIDTH, HEIGHT = 1280, 1024
GREEN, RED = "rgb(215, 245, 221)", "rgb(255, 214, 214)"

PROBE = """<script>
(function () {
  var cells = Array.prototype.slice.call(document.querySelectorAll('td[data-layer][data-node]'));
  var out = {
    title: document.title,
    scrollWidth: document.documentElement.scrollWidth,
    nodes: Array.prototype.map.call(document.querySelectorAll('th[data-node]'),
                                    function (th) { return [th.dataset.node, th.dataset.state]; }),
    stacks: Array.prototype.map.call(document.querySelectorAll('tbody[data-stack]'),
                                     function (tb) { return [tb.dataset.stack, tb.dataset.state]; }),
    roles: cells.filter(function (td) { return td.textContent.trim(); }).map(function (td) {
      return [td.dataset.layer, td.dataset.node, td.textContent.trim(), getComputedStyle(td).backgroundColor];
    }),
    stopped: Array.prototype.map.call(document.querySelectorAll('td.state-stopped'),
                                      function (td) { return getComputedStyle(td).backgroundColor; }),
    order: ['quorum', 'fencing'].map(function (id) {
      return document.getElementById(id).getBoundingClientRect().top;
    }).concat([document.querySelector('table.stacks').getBoundingClientRect().top])
  };
  var pre = document.createElement('pre');
  pre.id = 'hsc-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_page: no headless browser (%s) on PATH: run scripts/bootstrap.sh "
             "(it installs chromium-headless-shell from scripts/apt-packages-browser.txt)" % " or ".join(BROWSERS))


def run(argv):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--window-size=%d,%d" % (WIDTH, HEIGHT)]
    result = subprocess.run([argv[0]] + flags + argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=60, check=False, env=dict(os.environ, LC_ALL="C"))
    if result.returncode != 0:
        sys.exit("check_page: %s failed (rc %d): %s" % (argv, result.returncode, result.stderr.decode()[-2000:]))
    return result.stdout.decode("utf-8")


def main(page, workdir):
    exe = browser()
    started = time.time()
    url = "file://" + os.path.abspath(page)

    dom = run([exe, "--dump-dom", url])
    for stack in ("g_g1", "g_g2", "g_api-clone", "mgmt_vip"):
        assert 'data-stack="%s"' % stack in dom, "stack %s missing from the DOM" % stack
    for node in ("node1", "node2", "node3"):
        assert re.search(r'<th class="node state-online" data-node="%s" data-state="online">' % node, dom), node
    assert re.search(r'<td class="node state-started" data-layer="vip_g1" data-node="node1">Started</td>', dom), \
        "vip_g1 is not Started in node1's column"
    assert "<script" not in dom and "<link" not in dom and " src=" not in dom, "the page loads something"

    probed = os.path.join(workdir, "probed.html")
    with open(page) as f:
        text = f.read()
    with open(probed, "w") as f:
        f.write(text.replace("</body>", PROBE + "</body>"))
    dom = run([exe, "--dump-dom", "file://" + probed])
    match = re.search(r'<pre id="hsc-probe">(.*?)</pre>', dom, re.S)
    assert match, "the probe did not run"
    probe = json.loads(unescape(match.group(1)))
    assert probe["title"] == "Cluster report: hsc-report", probe["title"]
    assert probe["nodes"] == [["node1", "online"], ["node2", "online"], ["node3", "online"]], probe["nodes"]
    assert probe["stacks"] == [["g_g1", "started"], ["g_g2", "partial"], ["g_api-clone", "started"],
                               ["mgmt_vip", "started"]], probe["stacks"]
    roles = dict(((layer, node), (role, color)) for layer, node, role, color in probe["roles"])
    assert roles[("vip_g1", "node1")] == ("Started", GREEN), roles
    assert sorted(node for layer, node in roles if layer == "haproxy_api") == ["node1", "node2", "node3"], roles
    assert not any(layer == "vip_g2" for layer, node in roles), "the disabled vip_g2 shows a role"
    assert probe["stopped"] == [RED], probe["stopped"]
    assert probe["scrollWidth"] <= WIDTH, "the page is wider than %d px: %d" % (WIDTH, probe["scrollWidth"])
    assert probe["order"] == sorted(probe["order"]), "quorum, fencing, stacks out of order: %s" % probe["order"]

    shot = os.path.join(workdir, "report.png")
    run([exe, "--screenshot=" + shot, url])
    with open(shot, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", "not a PNG"
    assert struct.unpack(">II", head[16:24]) == (WIDTH, HEIGHT), struct.unpack(">II", head[16:24])
    assert os.path.getsize(shot) > 10000, "the screenshot is nearly empty"
    print("check_page: %s ok in %s (DOM, computed styles, layout, screenshot) in %.1f s"
          % (page, os.path.basename(exe), time.time() - started))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
