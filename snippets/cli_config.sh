cat > config.yaml <<'EOF'
seed_everything: 42
trainer:
  max_epochs: 10
  devices: 1
  callbacks:
    - class_path: pytorch_lightning.callbacks.ModelCheckpoint
      init_args: {dirpath: cli_checkpoints, filename: best, monitor: val_loss}
    - class_path: pytorch_lightning.callbacks.EarlyStopping
      init_args: {monitor: val_loss, patience: 3}
model:
  lr: 0.001
EOF
python train.py fit --config config.yaml \
    --trainer.max_epochs=1 --trainer.limit_train_batches=0.05 --trainer.enable_progress_bar=false
ls cli_checkpoints
