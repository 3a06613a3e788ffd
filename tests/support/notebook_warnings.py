"""The warnings a fresh run of the notebook may show, and why each stays: tests/deck/test_notebook.py fails on
any other; tests/claims/test_slurm.py holds the srun entry to Lightning's own hint."""

import re

ALLOWED = {
    # Python >= 3.12 warns at os.fork() in a process with threads: the ddp_fork demo forks on purpose
    # (the note of 付録：特徴 5 (2/2) says so). Not shown on this machine's Python 3.11.
    "os.fork() with threads (Python >= 3.12)": re.compile(
        r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"),
    # This machine's pip.conf names local index folders that do not hold every package; a reader's
    # pip has no such configuration. Only in the install cell.
    "this machine's pip configuration": re.compile(
        r"^WARNING: Location 'file:///\S+' is ignored: it is neither a file nor a directory\.$"),
    # Where Slurm's client is installed (a cluster's login node, CI), every fit started without srun gets
    # Lightning's hint: a reader on a cluster can act on it, and the slide 付録：SLURM（2/3）says what it
    # means and that a try on the login node may ignore it
    # (tests/claims/test_slurm.py test_the_srun_hint_on_a_login_node).
    "srun on a login node (付録：SLURM（2/3）)": re.compile(
        r"The `srun` command is available on your system but is not used\. HINT: If your intention is to run "
        r"Lightning on SLURM, prepend your python command with `srun` like so: srun .*\.\.\.$"),
}
