#!/usr/bin/env python3
"""A stand-in OTLP/HTTP collector for the tracing-cost bench: accepts /v1/traces and /v1/metrics, counts the bytes, answers 200.

    python3 bench/otlp_sink.py 4318 &
    dotnet run --project bench/Commerce.Bench -c Release -- --set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
        --set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf ...
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"requests": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        received["requests"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    # kill (SIGTERM) prints what arrived, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 4318), Sink)
    try:
        server.serve_forever()
    finally:
        print(f"otlp sink: {received['requests']} requests, {received['bytes']} bytes", flush=True)
