import matplotlib.pyplot as plt
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

events = EventAccumulator("lightning_logs/version_0")  # 最初の実行の記録
events.Reload()
loss = events.Scalars("train_loss")
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.plot([e.step for e in loss], [e.value for e in loss], marker="o")
ax.set(title=f"train_loss (last {loss[-1].value:.3f})", xlabel="step")
fig.savefig("learning_curve.svg")
