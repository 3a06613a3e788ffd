source slurm_cluster.sh  # 準備（1/3 と同じ）
salloc --nodes=2 scontrol show hostnames  # 割り当てられたノードの一覧
srun --nodes=2 --output=task-%j-%t.out hostname  # タスクごとのファイルへ
grep . task-*.out  # %j はジョブの番号、%t はタスクの番号（= global_rank）
srun --nodes=2 --ntasks-per-node=1 python cli.py fit --trainer.devices=2 \
    --trainer.accelerator=cpu --trainer.num_nodes=2 2>&1 |
  grep -o "You set.*" | sort -u | fmt -w 76  # 長い行を折り返す
