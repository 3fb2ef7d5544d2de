"""Sans-I/O protocol parsers for the examples: plain classes that take bytes and return events; no sockets inside."""
