"""Security and integrity regression tests: tokens kept on their host, malformed and poison answers,
every rate-limit form; run against the loopback sandbox with the real clients (issue 15)."""
