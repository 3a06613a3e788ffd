# torchrun：同じコマンドを 2 台のノードそれぞれで実行する（HEAD_NODE は 1 台目のホスト名）
torchrun --nnodes=2 --nproc-per-node=4 --rdzv-id=mnist --rdzv-backend=c10d \
    --rdzv-endpoint="$HEAD_NODE:29500" train.py
# SLURM：--nodes を num_nodes に、--ntasks-per-node を devices にそろえ、中で srun を使う
sbatch --nodes=2 --ntasks-per-node=4 --gres=gpu:4 --wrap="srun python train.py"
