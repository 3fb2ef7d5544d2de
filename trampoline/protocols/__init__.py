"""Protocols: HTTP/1.1, the Redis protocol and HAProxy's PROXY protocol,
parsed without I/O and served over trampoline.

Two layers, each usable without the other:

* ``http``, ``resp`` and ``proxy`` (PROXY v1 and v2): sans-I/O parsers and
  encoders (h11's idea).  They take bytes and return requests, commands,
  replies or headers; they never touch a socket, a clock or a thread, so
  any I/O framework can drive them and the tests feed them every malformed,
  truncated or split input there is.
* ``http_server``, ``http_client`` and ``kv``: built on them with
  trampoline's traps -- an HTTP/1.1 server (a ``Router`` of handlers,
  limits, timeouts, static files), an HTTP/1.1 client (a pool of keep-alive
  connections) and a Redis-compatible key-value store.  The servers give a
  ``handler(stream, address)`` for ``tcp_server`` or ``run_server``.

The programs in ``examples/`` (``http_server.py``, ``kv_server.py``,
``crawler.py``) are short scripts over these modules.  Like the rest of the
package they use only the standard library.
"""
