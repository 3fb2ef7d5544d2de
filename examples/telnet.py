#!/usr/bin/env python3
"""A telnet client (rotor's example): your keyboard to a server, its replies to your screen.

    python3 examples/telnet.py HOST PORT
    python3 examples/telnet.py --tls --cafile tests/tls_cert.pem localhost 25000
    python3 examples/telnet.py --unix /tmp/echo.sock
    echo hello | python3 examples/telnet.py HOST PORT

Two tasks run at once: one copies stdin to the socket -- reading stdin's
file descriptor with the ``read`` trap, so the kernel waits on it like on
any socket -- the other copies the socket to stdout.  Neither waits for
the other: what the server sends shows up while you type.

It ends cleanly on end of file from either side.  When the server closes,
at once.  When stdin ends (Ctrl-D, or the end of a pipe), it half-closes
the connection -- the server sees end of file -- and goes on printing what
the server still sends until the server closes too (``-q SECONDS``: wait
at most that long); a closed stdin (``<&-``) is an empty one.  That is
what makes ``echo hello | telnet.py ...`` print the reply.  TLS cannot
half-close (the server would never see the end, nor close): with ``--tls``
it waits ``-q`` seconds -- by default half a second, as socat does -- for
the replies, then ends.  Bytes go through untouched: no telnet option
negotiation, like ``nc``.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import TaskError, cancel, join, read, run, sleep, spawn, write  # noqa: E402
from trampoline.net import check_port, client_context, format_address  # noqa: E402
from trampoline.streams import open_connection, open_unix_connection  # noqa: E402


#: With --tls and no -q: how long to wait for replies once stdin has ended.
TLS_LINGER = 0.5


def keyboard_to_socket(stream, receiver, quit_after):
    """Copy stdin to the server; at its end, half-close, and maybe give the
    server ``quit_after`` seconds more."""
    # stdin closed (``<&-``): no input, as from /dev/null.  (Its descriptor 0
    # may be the socket by now: never read it then.)
    stdin = sys.stdin.fileno() if sys.stdin is not None else None
    try:
        while stdin is not None:
            data = yield read(stdin, 65536)
            if not data:
                break
            yield stream.write(data)
        yield stream.write_eof()                # the server sees end of file
    except NotImplementedError:                 # TLS cannot half-close: give the
        if quit_after is None:                  # server socat's half second to reply
            quit_after = TLS_LINGER
    except OSError:
        return                                  # the connection is gone: the
                                                # other task reports how it ended
    if quit_after is not None:
        yield sleep(quit_after)
        yield cancel(receiver)


def socket_to_screen(stream):
    """Copy what the server sends to stdout until it closes."""
    stdout = sys.stdout.fileno()
    while True:
        data = yield stream.read(65536)
        if not data:
            return
        try:
            yield write(stdout, data)
        except BrokenPipeError:                 # nobody reads our output any more
            return


def peer(args):
    """The server as the user named it: ``host:port`` (``[::1]:port``), or the path."""
    if args.unix:
        return args.unix
    return format_address((args.host, args.port))


def telnet(args, context):
    # A failed handshake -- a server that speaks no TLS, a certificate not
    # trusted -- raises an error that says with whom, as curl's does:
    # "... (TLS handshake with localhost:25000)".
    if args.unix:
        stream = yield open_unix_connection(args.unix, ssl=context,
                                            server_hostname=args.server_hostname)
    else:
        stream = yield open_connection(args.host, args.port, ssl=context,
                                       server_hostname=args.server_hostname)
    with stream:
        receiver = yield spawn(socket_to_screen(stream))
        sender = yield spawn(keyboard_to_socket(stream, receiver, args.quit_after))
        try:
            yield join(receiver)
        except TaskError as exc:
            if receiver.cancelled:              # cancelled: -q ran out, a clean end
                return
            cause = exc.__cause__
            if isinstance(cause, OSError) and peer(args) not in str(cause):
                # A reset...: the read's error, which names no one (the
                # kernel's read trap raises the socket's own).
                raise OSError("connection to %s: %s" % (peer(args), cause)) from None
            raise cause
        finally:
            yield cancel(sender)
            # (Ctrl-C: the receiver is still reading; it ends before the
            # stream closes under it, which it would report as a crash.)
            yield cancel(receiver)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="trampoline telnet: copy stdin to a TCP (or Unix, or TLS) server "
                    "and the server's replies to stdout, both at once")
    parser.add_argument("host", nargs="?", help="server name or address")
    parser.add_argument("port", nargs="?", type=int, help="server port")
    parser.add_argument("--unix", metavar="PATH", help="connect to a Unix socket instead")
    parser.add_argument("--tls", action="store_true", help="speak TLS")
    parser.add_argument("--cafile", metavar="PEM",
                        help="with --tls: trust this certificate (default: the system's CAs)")
    parser.add_argument("--server-hostname", metavar="NAME",
                        help="with --tls: the name the certificate must carry (default: HOST)")
    parser.add_argument("-q", "--quit-after", type=float, metavar="SECONDS",
                        help="after the end of stdin, wait at most this long for the "
                             "server to close (default: as long as it takes; with "
                             "--tls, %g)" % TLS_LINGER)
    args = parser.parse_args(argv)
    if args.unix == "":                 # (--unix "$UNSET"): not TCP, not "give host and port"
        parser.error("--unix needs a path, got an empty one")
    if (args.unix is None) == (args.host is None or args.port is None):
        parser.error("give HOST and PORT, or --unix PATH")
    if args.quit_after is not None and not args.quit_after >= 0:     # (NaN too)
        parser.error("-q needs a number of seconds >= 0")
    if not args.tls and (args.cafile or args.server_hostname):
        parser.error("--cafile and --server-hostname need --tls")
    if sys.stdout is None:                      # ``>&-``: replies would go nowhere
        print("telnet: stdout is closed", file=sys.stderr)
        return 1
    try:
        if args.port is not None:
            check_port(args.port, "PORT")       # 99999: named here, not a traceback
        context = client_context(args.cafile) if args.tls else None
        run(telnet(args, context))
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:        # the port, refused, reset, DNS, TLS ...
        print("telnet: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
