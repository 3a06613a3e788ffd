source slurm_cluster.sh  # 準備：SLURM のノード 2 台（node0 にログインした状態）
cat > train.sbatch <<'EOF'
#!/bin/bash
#SBATCH --nodes=2            # ノードの数（= num_nodes）
#SBATCH --ntasks-per-node=1  # 1 ノードのプロセスの数（= devices）
srun python cli.py fit --trainer.accelerator=cpu --trainer.devices=1 \
    --trainer.num_nodes=2 --trainer.fast_dev_run=5 \
    --trainer.callbacks+=rank_report.RankReport
EOF
sbatch --wait train.sbatch && cat rank*.txt  # 投入し、ジョブが終わるまで待つ
