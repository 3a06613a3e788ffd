"""The claims ledger: every sentence of the deck that says how Lightning, PyTorch or the tooling behaves.

A claim names its slide by heading (numbers change) and quotes the sentence (slide text, a code
comment or the speaker note). Its evidence is one of three kinds, all registered as data in
``ledger.py`` when the section modules are imported:

- ``tested``: a behaviour test in a section module, decorated ``@claims(Claim(slide, quote), ...)``.
  It checks the behaviour on this machine (CPU only: devices are faked, every fit is on the CPU)
  and does not read the deck: these tests are keyed on the installed versions (and the tests' own
  code), so their result is cached while only words change. (One test of ``test_slurm`` runs the
  rehearsal's real two-node Slurm cluster, for what only that cluster shows.)
- ``shown``: ``Shown(slide, quote, block, text)``: the deck's own block shows it, in its checked
  output (or an ``assert`` in the block), which the deck run compares every time.
- ``docs``: ``Docs(slide, quote, url)``: needs what this machine lacks (a GPU, MPS, Windows, macOS,
  a cluster, another Python) or says what documentation says; the URL is on the deck's appendix.

One module per part of the deck (``test_basics``: loop → Trainer; ``test_training``: logging,
checkpoints, prediction, flags; ``test_features``: the six features and the GPU choice;
``test_appendix``: the appendix; ``test_slurm``: its three SLURM slides; ``test_own_project``: a student's
own project), the slide headings they name in ``slides.py``. tests/deck/test_claims_quoted.py holds the ledger
against the deck, on every prose edit: each registered quote is still on its slide, each ``shown`` text
is in its block's checked output, each ``docs`` URL is on the appendix.
``python -c "from tests.claims import ledger; print(ledger.counts())"`` prints the counts per kind; nothing parses this package's source.
"""
