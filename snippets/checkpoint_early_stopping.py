from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer

best = ModelCheckpoint(monitor="val_acc", mode="max")  # val_acc が最大の重みを残す
stop = EarlyStopping(monitor="val_acc", mode="max", patience=2, min_delta=0.01)
trainer = quick_trainer(max_steps=200, val_check_interval=10, limit_val_batches=10, limit_test_batches=10,
                        enable_checkpointing=True, callbacks=[best, stop])
data = LitDataModule()
trainer.fit(LitModule(), data)
print(f"最大 200 ステップより前に止まった: {trainer.global_step < 200}")
trainer.test(ckpt_path="best", datamodule=data, verbose=False)  # 最良の重みでテストする
print(f"テストの重みは val_acc が最良のもの: {trainer.ckpt_path == best.best_model_path}")
