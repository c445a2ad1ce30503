"""moto's server, applying one request at a time.

DynamoDB applies each conditional write atomically; moto's threaded server checks and writes
without a lock, so concurrent requests race inside moto itself. This launcher keeps moto's app
and request handler and its threaded connections (keep-alive works), and serialises request
handling, so the concurrency tests exercise the service's conditions, not moto's races.

Usage: python tests/moto_server.py PORT
"""

import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

port = int(sys.argv[1])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialised(environ, start_response):
    with one_at_a_time:
        return list(app(environ, start_response))


run_simple("127.0.0.1", port, serialised, threaded=True, request_handler=MotoRequestHandler)
