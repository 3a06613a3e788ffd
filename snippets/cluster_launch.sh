# SLURM なら: srun python train.py（ノード数・GPU 数はジョブの設定に合わせる）
torchrun --nnodes=2 --nproc-per-node=4 --rdzv-backend=c10d --rdzv-endpoint="$HEAD_NODE:29500" train.py
