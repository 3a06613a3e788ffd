"""pytest runs the deck's code blocks (slides/, first: `testpaths`) and then the tests (tests/).

The plugin that runs the blocks as a reader would is the harness/ package (its map: harness/__init__.py);
the tests sit in tests/deck/, tests/claims/ and tests/tooling/ by what they read (README, How it fits together).
"""

pytest_plugins = ["harness.plugin"]
