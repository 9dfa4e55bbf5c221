"""Real servers the feed collectors fetch from in tests: an HTTP(S) server on loopback that serves feed
files with ETag and Last-Modified (and answers 304 to a matching If-None-Match), and a Dovecot IMAP
server with TLS, started by scripts/test-dovecot."""
import email.message
import hashlib
import http.server
import os
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "ConfianzaCollectorsTests" / "Fixtures"
CA_FILE = str(FIXTURES / "test-ca.pem")


class FeedServer:
    """Serves `files` ({path: bytes or (status, headers, bytes)}) over HTTP, or HTTPS with the tests' CA."""

    def __init__(self, files: dict, tls: bool = True):
        self.files = files
        self.requests = []  # (path, headers)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                entry = server.files.get(self.path)
                if entry is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, headers, body = entry if isinstance(entry, tuple) else (200, {}, entry)
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                if status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Thu, 30 Apr 2026 10:00:00 GMT")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(FIXTURES / "server.pem"), str(FIXTURES / "server.key"))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Dovecot:
    """A Dovecot IMAP server on loopback (TLS with the tests' CA, one user), in its own folder."""

    def __init__(self):
        # Under /tmp, not pytest's folder: the mail server reads the mailbox as another user, and pytest's
        # folders are private to ours.
        self.folder = Path(tempfile.mkdtemp(prefix="confianza-dovecot-"))
        folder = self.folder
        result = subprocess.run([str(ROOT / "scripts" / "test-dovecot"), "start", str(folder)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"Dovecot did not start: {result.stderr}"
        self.url, self.user, self.password, self.ca_file, maildir = result.stdout.split()
        self.maildir = Path(maildir)

    def deliver(self, message: email.message.EmailMessage, name: str):
        """Drops a message into the inbox as a mail server would (Maildir's new/)."""
        path = self.maildir / "new" / f"{int(time.time())}.{name}.test"
        path.write_bytes(bytes(message))
        os.chmod(path, 0o666)

    def files(self, folder: str) -> list:
        """The messages in a folder (`INBOX` or a Maildir++ folder such as `.Confianza.Done`)."""
        base = self.maildir if folder == "INBOX" else self.maildir / folder
        return [p for sub in ("new", "cur") if (base / sub).exists() for p in (base / sub).iterdir()]

    def stop(self):
        subprocess.run([str(ROOT / "scripts" / "test-dovecot"), "stop", str(self.folder)], capture_output=True, timeout=60)


def shadowserver_mail(csv: bytes, file_name: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["From"] = "autoreports@shadowserver.org"
    message["To"] = "cert@example.net"
    message["Subject"] = "[UY] Shadowserver report"
    message.set_content("Attached is your daily report.")
    message.add_attachment(csv, maintype="text", subtype="csv", filename=file_name)
    return message


def not_a_report() -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["From"] = "someone@example.net"
    message["To"] = "cert@example.net"
    message["Subject"] = "Lunch on Friday?"
    message.set_content("Shall we meet at noon?")
    return message


REPORT = (
    b'"timestamp","ip","port","asn","geo"\n'
    b'"2024-05-01 00:00:01","192.0.2.1",53,64500,"UY"\n'
    b'"2024-05-01 00:00:02","192.0.2.2",53,64500,"UY"\n'
)
