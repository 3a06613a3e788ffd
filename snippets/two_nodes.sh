source two_nodes.sh  # 準備：ノード 2 台（node0・node1）、HEAD、on_node、wait_nodes
for NODE in 0 1; do  # クラスターでは、この torchrun を各ノードで 1 回ずつ実行する
  on_node $NODE torchrun --nnodes=2 --nproc-per-node=1 \
      --rdzv-id=mnist-1 --rdzv-backend=c10d --rdzv-endpoint=$HEAD:29500 \
    cli.py fit --trainer.accelerator=cpu --trainer.devices=1 \
      --trainer.num_nodes=2 --trainer.fast_dev_run=5 \
      --trainer.callbacks+=rank_report.RankReport
done
wait_nodes  # 全ノードの終了を待つ（失敗したら各ノードのログを表示して止まる）
cat rank*.txt
