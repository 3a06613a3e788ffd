cat > config.yaml <<'EOF'
seed_everything: 42
trainer:
  max_epochs: 100  # 上限：止めるのは EarlyStopping
  devices: 1
  callbacks:
    - class_path: pytorch_lightning.callbacks.ModelCheckpoint
      init_args: {monitor: val_loss, filename: best}  # 実行ごとのフォルダーに保存
    - class_path: pytorch_lightning.callbacks.EarlyStopping
      init_args: {monitor: val_loss, patience: 5}
model:
  lr: 0.002
EOF
