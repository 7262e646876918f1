"""A real SMTP server for the tests (aiosmtpd): every message it accepts is appended to a JSON
Lines file as {message_id, from, to, subject, text, html}. Prints "ready" once listening.

Usage: python smtp_sink.py PORT FILE
"""
import email
import email.policy
import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {"text/plain": "", "text/html": ""}
        for part in msg.walk():
            kind = part.get_content_type()
            if kind in parts and not part.is_multipart():
                parts[kind] = part.get_content()
        line = {
            "message_id": msg.get("Message-ID", ""),
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg.get("Subject", "")),
            "text": parts["text/plain"],
            "html": parts["text/html"],
            "multipart": msg.get_content_type(),
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
