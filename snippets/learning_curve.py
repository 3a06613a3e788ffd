import os
from pathlib import Path

import matplotlib.pyplot as plt
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

run = max(Path("lightning_logs").glob("version_*"), key=os.path.getmtime)  # 最新の実行
events = EventAccumulator(str(run))
events.Reload()
loss = events.Scalars("train_loss_step")  # on_epoch=True のとき、ステップごとの値はこの名前
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.plot([e.step for e in loss], [e.value for e in loss], marker="o")
ax.set(title=f"train_loss (last {loss[-1].value:.3f})", xlabel="step")
fig.savefig("learning_curve.png")
