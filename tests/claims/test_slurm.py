"""Claims of the SLURM appendix: 付録：SLURM（1/3）…（3/3）.

Their two blocks (``slurm_sbatch.sh``, ``slurm_questions.sh``) run on a real two-node Slurm cluster
(tools/rehearsal/slurm_cluster.sh), so what their checked outputs show is ``shown``. What that cluster is
beyond the blocks (two nodes, the login on node0, a batch script on the job's first node) is tested here on
it (test_the_rehearsal_is_two_slurm_nodes_logged_in_on_node0); its plumbing (failures, time limits,
teardown) in tests/tooling/test_slurm_cluster.py.
What Lightning makes of srun's environment is tested below with SLURM's environment variables, on
the CPU (a mismatched or forgotten num_nodes included); what Slurm's or Lightning's documentation says is ``docs``.

The exit race, and why cli.py (付録：LightningCLI（1/3）) ends with destroy_process_group: under SLURM rank
0's own process hosts the TCPStore, and Lightning leaves a gloo process group to the interpreter
(test_lightning_leaves_the_gloo_process_group_alive). A job whose processes exit with the group alive can
abort at exit after fit has finished ("terminate called without an active exception", srun: task 1 Aborted,
the job FAILED); pytorch/pytorch#190489 reports the same message for a missing destroy_process_group.
Measured: the feasibility study (../shared/studies/slurm-two-nodes.md, section 5) 3 of 10 jobs; CI of
2026-12-07 once, in the Lightning-package leg of the matrix (three legs side by side on the machine); and
on 2026-12-07 here (Slurm 22.05.8, torch 2.14.1, Lightning 2.6.6, on 2 cores beside busy loops), the slide's
job alternating with the old cli.py and with cli.py ending with destroy_process_group, on one cluster: with
two busy loops 2 of 30 FAILED against 0 of 30 (and 0 of 30 with barrier() before it), with three 0 of 40
against 0 of 40; so the race is rare, and was not seen with the call in 70 jobs. PyTorch's docs ask for
destroy_process_group near the end of main in every process (docs.pytorch.org/docs/stable/distributed.html
#shutdown); on a GPU cluster (NCCL) Lightning also calls it itself at exit. Should a CPU job ever end FAILED,
the block's test fails at once with the job's output and the daemons' logs (slurm_cluster.sh), which show the abort.
"""

from __future__ import annotations

import inspect
import os
import re
import warnings

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel

from tests.support import cluster
from tests.support.notebook_warnings import ALLOWED

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import fake_gpus, tiny_fit, trainer
from .slides import CLI_1, HALF, SLURM, SLURM_CHECKS, SLURM_GPU

SBATCH = "https://slurm.schedmd.com/sbatch.html"
SRUN = "https://slurm.schedmd.com/srun.html"
GRES = "https://slurm.schedmd.com/gres.html"
LIGHTNING_SLURM = "https://lightning.ai/docs/pytorch/stable/clouds/cluster_advanced.html"
GPU_FAQ = "https://lightning.ai/docs/pytorch/stable/accelerators/gpu_faq.html"

RANKS = f"global_rank=0 node_rank=0 world_size=2  {HALF}\nglobal_rank=1 node_rank=1 world_size=2  {HALF}\n"

shown(
    # 1/3: the job's two tasks, one per node, each ran train.py and wrote its RankReport line
    Shown(SLURM, "`srun` が各ノードで `cli.py` を起動する（`torchrun` は不要）", "slurm_sbatch.sh",
          "global_rank=1 node_rank=1 world_size=2"),
    Shown(SLURM, "srun が各ノードにプロセスを起動します", "slurm_sbatch.sh", "global_rank=1 node_rank=1 world_size=2"),
    Shown(SLURM, "2 ノードで半分ずつ受け持った", "slurm_sbatch.sh", HALF),
    Shown(SLURM, "どのプロセスも同じコマンドを実行します", "slurm_sbatch.sh", RANKS),  # one srun line, both ranks
    Shown(SLURM, "sbatch は、このスクリプトをジョブとしてキューに入れます。", "slurm_sbatch.sh", "Submitted batch job 1\n"),
    Shown(SLURM, "投入し、ジョブが終わるまで待つ", "slurm_sbatch.sh",  # the job's files are there when cat runs
          "Submitted batch job 1\nglobal_rank=0"),
    # 3/3
    Shown(SLURM_CHECKS, "準備（1/3 と同じ）", "slurm_questions.sh", "source slurm_cluster.sh"),
    Shown(SLURM_CHECKS, "準備（1/3 と同じ）", "slurm_sbatch.sh", "source slurm_cluster.sh"),
    Shown(SLURM_CHECKS, "よくある質問を、予行演習のクラスターで実際に試しました。", "slurm_questions.sh",
          "source slurm_cluster.sh"),
    Shown(SLURM_CHECKS, "割り当てられたノードの一覧", "slurm_questions.sh", "node0\nnode1\n"),
    Shown(SLURM_CHECKS, "salloc はノードを確保して、コマンドを 1 回実行します。", "slurm_questions.sh",
          "node0\nnode1\ntask-"),  # each node once, then srun's files: the command ran once
    Shown(SLURM_CHECKS, "scontrol show hostnames は、ジョブのノードを 1 行に 1 つずつ表示し", "slurm_questions.sh",
          "node0\nnode1\n"),
    Shown(SLURM_CHECKS, "タスクごとのファイルへ", "slurm_questions.sh", "task-2-0.out:node0\ntask-2-1.out:node1\n"),
    Shown(SLURM_CHECKS, "srun の output にジョブの番号とタスクの番号を入れると、プロセスごとの出力が別々のファイルになります。",
          "slurm_questions.sh", "task-2-0.out:node0\ntask-2-1.out:node1\n"),
    Shown(SLURM_CHECKS, "%j はジョブの番号、%t はタスクの番号（= global_rank）", "slurm_questions.sh",
          "task-2-0.out:node0\ntask-2-1.out:node1\n"),  # job 2 (salloc's was 1), tasks 0 and 1
    Shown(SLURM_CHECKS, "長い行を折り返す", "slurm_questions.sh",
          "the number of tasks per node\nconfigured in SLURM"),
    Shown(SLURM_CHECKS, "`--ntasks-per-node` と `devices` がずれると、Lightning は学習を始める前にエラーで止まる",
          "slurm_questions.sh", "does not match. HINT: Set\n`devices=1`."),
)

docs(
    # distributed.html, Shutdown: "It is important to clean up resources on exit by calling destroy_process_group()
    # [...] usually near the end of main(). The call should be made once per trainer-process"
    Docs(CLI_1, "PyTorch は、各プロセスの終わりに destroy_process_group を呼ぶよう勧めています。",
         "https://pytorch.org/docs/stable/distributed.html"),
    # sbatch.html: "sbatch submits a batch script to Slurm. [...] it may sit in the queue of pending jobs"
    Docs(SLURM, "sbatch は、このスクリプトをジョブとしてキューに入れます。", SBATCH),
    # sbatch.html: "When the job allocation is finally granted for the batch script, Slurm runs a single copy
    # of the batch script on the first node in the set of allocated nodes."
    Docs(SLURM, "ノードが割り当てられると、スクリプトが先頭のノードで動き", SBATCH),
    # sbatch.html --ntasks-per-node: "Request that ntasks be invoked on each node."
    Docs(SLURM, "1 ノードに起動する数が ntasks-per-node", SBATCH),
    # sbatch.html --wait: "Do not exit until the submitted job terminates."
    Docs(SLURM, "投入し、ジョブが終わるまで待つ", SBATCH),
    # sbatch.html --time: "Set a limit on the total run time of the job allocation. [...] The default time
    # limit is the partition's default time limit."
    Docs(SLURM, "実行時間の上限は time で指定でき、書かないとパーティションの既定値になります。", SBATCH),
    # sbatch.html: "sbatch submits a batch script to Slurm" (from where the reader is logged in: the login node)
    # Lightning's SLURM page: the submit script is the #SBATCH lines and `srun python3 train.py`, no torchrun
    # and nothing that starts Slurm itself
    Docs(SLURM, "`srun` が各ノードで `cli.py` を起動する（`torchrun` は不要）", LIGHTNING_SLURM),
    Docs(SLURM, "クラスターではこの行は要りません。", LIGHTNING_SLURM),
    # gres.html, Running Jobs: "Jobs will not be allocated any generic resources unless specifically
    # requested at job submit time using the options: --gres, --gpus, ..."
    Docs(SLURM_GPU, "`#SBATCH --gres=gpu:4`（書かないと GPU が割り当てられない）", GRES),
    # sbatch.html --gpus-per-node: "Specify the number of GPUs required for the job on each node included in
    # the job's resource allocation."; gres.html: --gres=gpu:<count>
    Docs(SLURM_GPU, "gres はジョブに GPU を割り当てる指定で、gpus-per-node でも構いません。", SBATCH),
    Docs(SLURM_GPU, "gres はジョブに GPU を割り当てる指定で、gpus-per-node でも構いません。", GRES),
    Docs(SLURM_GPU, "学習率の調整が必要になることもあります。", GPU_FAQ),
    # srun.html, filename pattern: "%j jobid of the running job", "%t task identifier (rank) relative to
    # current job. This will create a separate IO file per task."
    Docs(SLURM_CHECKS, "%j はジョブの番号、%t はタスクの番号（= global_rank）", SRUN),
    Docs(SLURM_CHECKS, "srun の output にジョブの番号とタスクの番号を入れると、プロセスごとの出力が別々のファイルになります。",
         SRUN),
)

@claims(Claim(SLURM, "準備：SLURM のノード 2 台（node0 にログインした状態）"),
        Claim(SLURM, "準備の行は予行演習用の道具で、PC の中に本物の SLURM のノードを 2 台起動します。"),
        Claim(SLURM, "ノードが割り当てられると、スクリプトが先頭のノードで動き"),  # "runs on node0"
        Claim(SLURM_CHECKS, "バッチスクリプトの中でもそのまま使えます。"))  # scontrol show hostnames in check.sbatch
def test_the_rehearsal_is_two_slurm_nodes_logged_in_on_node0(tmp_path):
    """The commands run as on node0 (a login node that is also a compute node), and a batch script on the
    first node of its job, where `scontrol show hostnames` lists the job's nodes."""
    cluster.require(cluster.SLURM_CLUSTER)
    (tmp_path / "check.sbatch").write_text("#!/bin/bash\n#SBATCH --nodes=2\n"
                                           'echo "submitted from $SLURM_SUBMIT_HOST, runs on $(hostname)"\n'
                                           "scontrol show hostnames\n")
    script = """
        source slurm_cluster.sh
        hostname > host.txt
        srun --nodes=2 hostname | sort
        scontrol ping | grep -o 'is UP'
        sbatch --wait check.sbatch
        cat slurm-2.out
    """
    done, seconds, tag = cluster.run(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("node0\nnode1\nis UP\nSubmitted batch job 2\n"
                           "submitted from node0, runs on node0\nnode0\nnode1\n")
    assert (tmp_path / "host.txt").read_text() != "node0\n"  # the script itself stays on this machine
    assert seconds < 30, f"took {seconds:.0f} s"
    cluster.assert_nothing_left(tag)


# --------------------------------------------------------------------------------------------
# what Lightning makes of srun's environment


def slurm_job(monkeypatch, nodes: int, tasks_per_node: int, rank: int) -> None:
    """The environment srun gives one task of a job (tasks numbered node by node, as srun's block distribution).
    A Trainer made there sets Lightning's rank_zero_only.rank; it is put back after the test."""
    from lightning_fabric.utilities.rank_zero import rank_zero_only as fabric_rank_zero_only
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    for function in (rank_zero_only, fabric_rank_zero_only):
        monkeypatch.setattr(function, "rank", getattr(function, "rank", 0))
    monkeypatch.setattr("shutil.which", lambda name: None)  # no srun here: skip the "srun not used" hint
    env = dict(SLURM_NTASKS=str(nodes * tasks_per_node), SLURM_NTASKS_PER_NODE=str(tasks_per_node),
               SLURM_NNODES=str(nodes), SLURM_JOB_NAME="train.sbatch", SLURM_NODELIST=f"node[0-{nodes - 1}]",
               SLURM_JOB_ID="1", SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank % tasks_per_node),
               SLURM_NODEID=str(rank // tasks_per_node))
    for key, value in env.items():
        monkeypatch.setenv(key, value)


@claims(Claim(SLURM, "Lightning は SLURM の環境変数からランクを読み"),
        Claim(SLURM, "Lightning は SLURM の環境変数から、ランク、ノードの番号、プロセスの数を読む"),
        Claim(SLURM, "torchrun もランデブーの設定も要りません。"),
        Claim(SLURM, "`srun` が各ノードで `cli.py` を起動する（`torchrun` は不要）"),
        Claim(SLURM, "ノードの数（= num_nodes）"),
        Claim(SLURM, "1 ノードのプロセスの数（= devices）"),
        Claim(SLURM_CHECKS, "`--ntasks-per-node` と `devices` がずれると、Lightning は学習を始める前にエラーで止まる"),
        Claim(SLURM_CHECKS, "num_nodes が nodes と違うときも Lightning はエラーにします"),
        Claim(SLURM_CHECKS, "%j はジョブの番号、%t はタスクの番号（= global_rank）"),
        Claim(SLURM_CHECKS, "タスクの番号は、Lightning のグローバルランクと同じです。"),
        Claim(SLURM_CHECKS, "1 ノードに 1 プロセスのまま num_nodes を書き忘れると、エラーにならず、各ノードで別々の学習が始まってしまいます。"))
def test_lightning_reads_the_ranks_from_slurm_and_refuses_a_mismatch_but_not_a_forgotten_num_nodes(monkeypatch):
    from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

    slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=5)
    t = trainer(accelerator="cpu", devices=4, num_nodes=2, strategy="ddp")
    env = t.strategy.cluster_environment
    assert type(env).__name__ == "SLURMEnvironment" and env.creates_processes_externally  # srun starts them
    assert (env.global_rank(), env.node_rank(), env.local_rank(), env.world_size()) == (5, 1, 1, 8)
    assert env.main_address == "node0"  # the first node of the job: no rendezvous endpoint to give
    assert "validate_settings" in inspect.getsource(_SubprocessScriptLauncher.launch)  # checked at launch
    env.validate_settings(num_devices=4, num_nodes=2)
    with pytest.raises(ValueError, match=re.escape("`devices=2` in Lightning, but the number of tasks per node "
                                                   "configured in SLURM `--ntasks-per-node=4` does not match")):
        env.validate_settings(num_devices=2, num_nodes=2)
    with pytest.raises(ValueError, match=re.escape("`num_nodes=1` in Lightning, but the number of nodes configured in "
                                                   "SLURM `--nodes=2` does not match")):
        env.validate_settings(num_devices=4, num_nodes=1)
    monkeypatch.delenv("SLURM_NTASKS_PER_NODE")
    with pytest.raises(RuntimeError, match="--ntasks-per-node"):  # --ntasks alone is refused too
        trainer(accelerator="cpu", devices=4, num_nodes=2, strategy="ddp")
    # The deck's own job with --trainer.num_nodes=1 (one process per node): no error, every task trains alone, with
    # a sampler of its own (on the cluster, the deck's RankReport then trips on its RandomSampler).
    for rank in (0, 1):
        slurm_job(monkeypatch, nodes=2, tasks_per_node=1, rank=rank)
        t = trainer(accelerator="cpu", devices=1, strategy="auto")  # num_nodes left at its default, 1
        assert type(t.strategy).__name__ == "SingleDeviceStrategy" and (t.world_size, t.global_rank) == (1, 0)


# --------------------------------------------------------------------------------------------
# a GPU cluster (devices faked: nothing is fitted on them)


@claims(Claim(SLURM_GPU, "cli.py はそのままで、train.sbatch のデバイスの行を変え、fast_dev_run と RankReport を外します。"),
        Claim(SLURM_GPU, "`#SBATCH --ntasks-per-node=4`（= `devices`）"),
        Claim(SLURM_GPU, "`--trainer.accelerator=gpu`"),
        Claim(SLURM_GPU, "`--trainer.devices=4`（1 プロセスに GPU 1 台）"),
        Claim(SLURM_GPU, "GPU のクラスターでは、1 ノードの GPU の数だけプロセスを起動し、各プロセスが GPU を 1 台使います。"))
def test_a_gpu_cluster_runs_one_process_per_gpu(monkeypatch):
    fake_gpus(monkeypatch, 4)
    for rank in range(8):
        slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=rank)
        t = trainer(accelerator="gpu", devices=4, num_nodes=2, strategy="ddp")
        assert t.world_size == 8 and t.strategy.root_device == torch.device("cuda", rank % 4)
        assert t.strategy._get_process_group_backend() == "nccl"
    t.strategy.cluster_environment.validate_settings(num_devices=4, num_nodes=2)


@claims(Claim(CLI_1, "Lightning は GPU の NCCL では終了時に自分で呼びますが、CPU の gloo では呼びません。"))
def test_lightning_leaves_the_gloo_process_group_alive(monkeypatch, quiet):
    """Why cli.py ends with destroy_process_group (the module's head): after a real DDP fit on the CPU (one
    process, gloo) the group is still alive and nothing was registered to end it at exit; for NCCL, which
    needs a GPU, Lightning's source registers destroy_process_group at exit."""
    from lightning_fabric.plugins.environments.lightning import find_free_network_port
    from lightning_fabric.utilities import distributed

    at_exit, register = [], distributed.atexit.register
    monkeypatch.setattr(distributed.atexit, "register", lambda f, *a, **k: at_exit.append(f) or register(f, *a, **k))
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")  # set here, so that what Lightning writes there is undone
    monkeypatch.setenv("MASTER_PORT", str(find_free_network_port()))
    try:
        tiny_fit(strategy="ddp").fit(BoringModel())
        assert torch.distributed.is_initialized() and torch.distributed.get_backend() == "gloo"
        assert distributed._destroy_dist_connection not in at_exit
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    source = inspect.getsource(distributed._init_dist_connection)
    assert 'if torch_distributed_backend == "nccl":' in source and "atexit.register(_destroy_dist_connection)" in source
    assert "torch.distributed.destroy_process_group()" in inspect.getsource(distributed._destroy_dist_connection)


SRUN_HINT = "The `srun` command is available on your system but is not used."


@claims(Claim(SLURM_GPU, "`The srun command is available on your system but is not used`：`srun` なしで学習を始めたという注意"),
        Claim(SLURM_GPU, "ログインノードの試しなら無視してよい"),
        Claim(SLURM_GPU, "`train.sbatch` で `srun` を書き忘れると、この注意は出ずに、来ないプロセスを待ち続ける"))
def test_the_srun_hint_on_a_login_node(monkeypatch, quiet):
    from pytorch_lightning.utilities.warnings import PossibleUserWarning

    for key in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/srun" if name == "srun" else None)  # a login node
    with pytest.warns(PossibleUserWarning, match=re.escape(SRUN_HINT)) as seen:
        t = pl.Trainer(accelerator="cpu", devices=1, max_steps=1, limit_val_batches=1, logger=False,
                       enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    hint = str(seen[0].message)
    assert "prepend your python command with `srun`" in hint
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(BoringModel())  # a hint, nothing more: the fit runs, on this machine, as one process
    assert t.global_step == 1 and t.world_size == 1
    assert type(t._accelerator_connector.cluster_environment).__name__ == "LightningEnvironment"  # not SLURM
    slurm_job(monkeypatch, nodes=2, tasks_per_node=1, rank=0)  # under srun: no hint
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/srun" if name == "srun" else None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PossibleUserWarning)
        trainer(accelerator="cpu", devices=1, num_nodes=2, strategy="ddp")
    # the batch script itself with srun forgotten has the job's variables too: no hint, and 8 processes expected
    slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PossibleUserWarning)
        t = trainer(accelerator="cpu", devices=4, num_nodes=2, strategy="ddp")
    assert t.world_size == 8 and t.strategy.cluster_environment.creates_processes_externally  # nobody starts the 7
    # the notebook's test (tests/support/notebook_warnings.py) lets a login node's run show it, for this slide
    assert any(p.search(f"/x/lightning_fabric/plugins/environments/slurm.py:204: {hint}") for p in ALLOWED.values())
