#!/usr/bin/env python
"""Read-only cluster status over HTTP (hastorage.cluster NAS management group).

GET /         -> the cluster status as Pacemaker's XML (crm_mon --output-as=xml)
GET /healthz  -> "ok" (the service answers)

Runs in the management group (active/standby) behind the management VIP.
"""
import argparse
import http.server
import os
import subprocess


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path == "/healthz":
            self._send(200, b"ok\n", "text/plain")
            return
        if self.path != "/":
            self._send(404, b"not found\n", "text/plain")
            return
        env = dict(os.environ, LC_ALL="C")
        proc = subprocess.run(["crm_mon", "--one-shot", "--inactive", "--output-as=xml"],
                              capture_output=True, env=env, timeout=20, check=False)
        if proc.returncode != 0:
            self._send(503, proc.stderr or b"crm_mon failed\n", "text/plain")
            return
        self._send(200, proc.stdout, "application/xml")

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("", args.port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
