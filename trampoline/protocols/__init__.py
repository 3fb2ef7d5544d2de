"""Sans-I/O protocol parsers: bytes in, events out; no sockets, clocks or threads."""
