"""Registers the harness/ plugin, which runs the deck's blocks (slides/, first) as a reader would (harness/__init__.py);
the tests sit in tests/deck/, tests/claims/ and tests/tooling/ by what they read (README, How it fits together)."""

pytest_plugins = ["harness.plugin"]
