python cli.py fit --config config.yaml --trainer.enable_progress_bar=false \
    --trainer.max_epochs=1 --trainer.limit_train_batches=0.05  # 資料用：自分の課題では消す
run=$(ls -td lightning_logs/version_* | head -n 1)  # 最新の実行のフォルダー
ls "$run" | grep -v events
python cli.py test --config config.yaml --ckpt_path "$run/checkpoints/best.ckpt" \
    --trainer.enable_progress_bar=false | grep -o test_acc
