"""Reliability: what real networks do to a server (issue 9, begun)."""

import os
import socket
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SERVER = textwrap.dedent("""
    import os, resource, sys
    sys.path.insert(0, sys.argv[1])
    from trampoline import run, tcp_server

    def echo(stream, address):
        while True:
            data = yield stream.read(65536)
            if not data:
                break
            yield stream.write(data)

    def ready(address):
        # Room for the listener and a few connections, no more.
        in_use = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 3, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        print(address[1], flush=True)

    run(tcp_server("127.0.0.1", 0, echo, ready=ready))
""")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def echoes(sock, payload=b"ping"):
    sock.sendall(payload)
    return sock.recv(100) == payload


def test_out_of_descriptors_the_server_backs_off_and_recovers():
    """With RLIMIT_NOFILE low, a flood of connections makes accept() fail
    with EMFILE: the server keeps serving the connections it has, does not
    spin, and accepts again once descriptors are free."""
    if not os.path.isdir("/proc/self/fd"):
        import pytest
        pytest.skip("needs /proc (Linux)")
    proc = subprocess.Popen([sys.executable, "-c", SERVER, ROOT],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    clients = []
    try:
        port = int(proc.stdout.readline())
        for _ in range(12):                     # more than the server can take
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        assert echoes(clients[0])               # accepted ones are served
        cpu_before = cpu_seconds(proc.pid)
        # Not synchronisation: the time over which CPU use is measured.
        import time
        time.sleep(0.5)
        assert cpu_seconds(proc.pid) - cpu_before < 0.25   # backing off, not spinning
        assert proc.poll() is None                          # and alive
        for sock in clients[:3]:                # free the server's descriptors
            sock.close()
        assert echoes(clients[3])               # the next in the backlog is accepted and served
    finally:
        for sock in clients:
            sock.close()
        proc.kill()
        proc.wait(10)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "Too many open files" in err         # it did meet EMFILE, and said so
