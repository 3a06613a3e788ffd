# quick.py
import pytorch_lightning as pl


def quick_trainer(**flags) -> pl.Trainer:
    """デモ用：2 ステップ学習して 1 バッチ検証する。自分の課題では使わない"""
    settings = dict(
        max_steps=2, val_check_interval=2, limit_val_batches=1, devices=1,
        num_sanity_val_steps=0, enable_progress_bar=False,
        enable_model_summary=False, logger=False, enable_checkpointing=False,
    )
    return pl.Trainer(**(settings | flags))
